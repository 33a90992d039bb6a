#pragma once

#include "graphdocument.h"
#include "syncclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QUrl>

#include <cstdio>
#include <memory>
#include <string>

class QSettings;
class QTimer;

namespace constellate::net {

/// What `constellate-cli` does with a live room (create, import, export, info, watch),
/// through a SyncClient: how scripts and admins use a room. One command per object; it
/// reports lines on `out` (results) and `err` (progress, problems) and ends with
/// finished(exit code): 0 done, 1 the work failed (refused, unreachable in time, a bad
/// file), 2 bad usage. `watch` runs until stop().
class RoomCommand : public QObject {
    Q_OBJECT
public:
    enum class Kind { Create, Import, Export, Info, Watch };
    struct Options {
        Kind kind = Kind::Info;
        QUrl url;                ///< ws://HOST:PORT/rooms/NAME (or wss://)
        QString name;            ///< display name (default: the login name)
        QString key;             ///< the room's access key; `create` sets it on the new room
        QString file;            ///< import: the graph file; export: where to write
        bool create = false;     ///< import --create: create the room first
        int timeoutSeconds = 30; ///< for everything but watch: give up after this long
        QList<QSslCertificate> caCertificates; ///< wss:// with a self-signed certificate
    };

    /// `settings` is the profile (user id, owner tokens); it must outlive the command.
    RoomCommand(Options options, QSettings& settings, std::FILE* out = stdout, std::FILE* err = stderr,
                QObject* parent = nullptr);
    ~RoomCommand() override;

    void start();
    /// watch: ends it (exit code 0); others: gives up (exit code 1).
    void stop();

    /// The profile key under which a room's owner token is kept.
    static QString ownerTokenKey(const QUrl& url);

Q_SIGNALS:
    void finished(int exitCode);

private:
    void onStateChanged(SyncClient::State state, const QDateTime& nextRetry);
    void inStep();
    void finish(int code);
    void line(const QString& text);
    void problem(const QString& text);
    QString peerName(protocol::PeerIndex peer) const;
    QString describe(const Transaction& t) const;

    Options m_options;
    QSettings& m_settings;
    std::FILE* m_out;
    std::FILE* m_err;
    std::unique_ptr<GraphDocument> m_doc;
    std::unique_ptr<SyncClient> m_client;
    QTimer* m_deadline = nullptr;
    bool m_inStep = false;   ///< the room's state has arrived once
    bool m_done = false;
    bool m_keySent = false;  ///< create --key: SET_ACCESS_KEY went out; the next VERSION_LIST confirms it
    OpId m_importFirst;      ///< import: the transaction waited for
    QElapsedTimer m_progressClock;
};

} // namespace constellate::net
