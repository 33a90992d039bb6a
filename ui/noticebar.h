#pragma once

#include "graphdocument.h"

#include <QFrame>

#include <vector>

class QLabel;
class QPushButton;
class QTimer;

namespace constellate::ui {

/// A bar over the 3D view with one notice at a time: someone joined or left, an undo
/// skipped fields others had written, or a conflict, which offers "Restore mine" (and
/// stays until answered or replaced). Passing notices hide by themselves.
class NoticeBar : public QFrame {
    Q_OBJECT
public:
    explicit NoticeBar(QWidget* parent = nullptr);

    /// A passing notice (hides after a few seconds).
    void showNotice(const QString& text);
    /// A conflict: the text, and "Restore mine" to write this user's values back.
    void showConflict(const std::vector<Conflict>& conflicts, const QString& text);
    QString text() const;
    QPushButton* restoreButton() const { return m_restore; }

Q_SIGNALS:
    void restoreRequested(const std::vector<constellate::Conflict>& conflicts);

private:
    QLabel* m_text = nullptr;
    QPushButton* m_restore = nullptr;
    QPushButton* m_close = nullptr;
    QTimer* m_hide = nullptr;
    std::vector<Conflict> m_conflicts;
};

} // namespace constellate::ui
