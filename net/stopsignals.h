#pragma once

#include <QObject>

class QSocketNotifier;

namespace constellate::net {

/// SIGTERM and SIGINT as a Qt signal on the event loop's thread (through a socket pair
/// written by the handler: the only thing a handler may safely do), for command-line
/// programs that stop gracefully. One per process.
class StopSignals : public QObject {
    Q_OBJECT
public:
    explicit StopSignals(QObject* parent = nullptr);
    ~StopSignals() override;
    /// False when the socket pair could not be made (the default handlers stay).
    bool installed() const { return m_notifier != nullptr; }

Q_SIGNALS:
    /// Once, for the first SIGTERM or SIGINT.
    void stopRequested();

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace constellate::net
