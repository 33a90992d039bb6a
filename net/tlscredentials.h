#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <optional>

namespace constellate::net {

/// A server's certificate chain and private key, read from PEM files and checked before
/// the server listens, so that a wrong file is reported at start and never as failed
/// handshakes later. Empty: the server speaks plain ws:// and http://.
struct TlsCredentials {
    QList<QSslCertificate> chain; ///< the server's certificate first, then intermediates
    QSslKey key;                  ///< RSA or EC, matching chain.first()
    QString certFile;             ///< where they came from, for log lines
    QString keyFile;

    bool isEmpty() const { return chain.isEmpty(); }

    /// Reads and checks `certFile` (PEM, one or more certificates) and `keyFile` (PEM RSA
    /// or EC private key, PKCS#1, SEC1 or unencrypted PKCS#8). On failure returns nothing
    /// and sets `error` to one sentence naming the file: missing, unreadable, not PEM,
    /// encrypted, a key that does not belong to the certificate, an expired certificate.
    static std::optional<TlsCredentials> load(const QString& certFile, const QString& keyFile, QString* error);
};

} // namespace constellate::net
