#pragma once

#include "graphdocument.h"

#include <QFrame>

#include <functional>
#include <vector>

class QLabel;
class QPushButton;
class QTimer;

namespace constellate::ui {

/// A bar over the 3D view with one notice at a time: someone joined or left, an undo
/// skipped fields others had written, a conflict, which offers "Restore mine", or an offer
/// with a button of its own ("Host This Room From Your Copy", "Join Ann's Session").
/// Conflicts and offers stay until answered, dismissed or replaced by another; passing
/// notices hide by themselves and do not replace them.
class NoticeBar : public QFrame {
    Q_OBJECT
public:
    explicit NoticeBar(QWidget* parent = nullptr);

    /// A passing notice (hides after a few seconds).
    void showNotice(const QString& text);
    /// A conflict: the text, and "Restore mine" to write this user's values back.
    void showConflict(const std::vector<Conflict>& conflicts, const QString& text);
    /// A notice with a button that calls `accept` (once) and hides the bar.
    void showOffer(const QString& text, const QString& button, std::function<void()> accept);
    /// Hides the offer shown now, if any (what it offered no longer stands).
    void withdrawOffer();
    QString text() const;
    QPushButton* restoreButton() const { return m_restore; }
    QPushButton* offerButton() const { return m_offer; }

Q_SIGNALS:
    void restoreRequested(const std::vector<constellate::Conflict>& conflicts);

private:
    QLabel* m_text = nullptr;
    QPushButton* m_restore = nullptr;
    QPushButton* m_offer = nullptr;
    QPushButton* m_close = nullptr;
    QTimer* m_hide = nullptr;
    std::vector<Conflict> m_conflicts;
    std::function<void()> m_accept; ///< the offer's, while one is shown
};

} // namespace constellate::ui
