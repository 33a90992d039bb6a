#include "tlscredentials.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>

namespace constellate::net {

namespace {

std::optional<QByteArray> readFile(const QString& path, const char* what, QString* error)
{
    QFile file(path);
    if (!QFileInfo::exists(path)) {
        *error = QStringLiteral("%1 file '%2' does not exist").arg(QLatin1String(what), path);
        return std::nullopt;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1 file '%2': %3").arg(QLatin1String(what), path, file.errorString());
        return std::nullopt;
    }
    return file.readAll();
}

/// One DER element (tag, length, contents).
struct DerElement {
    quint8 tag = 0;
    QByteArrayView contents;
};

/// Reads the DER element at `pos` and moves `pos` past it; false if malformed.
bool readDer(QByteArrayView data, qsizetype& pos, DerElement& out)
{
    if (pos + 2 > data.size())
        return false;
    out.tag = quint8(data[pos]);
    qsizetype length = quint8(data[pos + 1]);
    pos += 2;
    if (length & 0x80) {
        const int bytes = int(length & 0x7f);
        if (bytes == 0 || bytes > 4 || pos + bytes > data.size())
            return false;
        length = 0;
        for (int i = 0; i < bytes; ++i)
            length = (length << 8) | quint8(data[pos++]);
    }
    if (length > data.size() - pos)
        return false;
    out.contents = data.sliced(pos, length);
    pos += length;
    return true;
}

/// The elements inside a SEQUENCE (or other constructed element); empty if malformed.
QList<DerElement> derChildren(QByteArrayView contents)
{
    QList<DerElement> children;
    qsizetype pos = 0;
    DerElement e;
    while (pos < contents.size()) {
        if (!readDer(contents, pos, e))
            return {};
        children.append(e);
    }
    return children;
}

/// Whether `privateKey` is the private half of `certificateKey`, judged from their DER
/// forms (Qt gives no way to derive a public key from a private one): the certificate's
/// SubjectPublicKeyInfo holds RSA's modulus and exponent, or EC's point; PKCS#1
/// RSAPrivateKey holds the same modulus and exponent as its second and third elements,
/// SEC1 ECPrivateKey the point in its optional [1] element. Nothing when it cannot tell.
std::optional<bool> belongsTo(const QSslKey& privateKey, const QSslKey& certificateKey)
{
    if (privateKey.algorithm() != certificateKey.algorithm())
        return false;
    const QByteArray spkiDer = certificateKey.toDer();
    const QByteArray privateDer = privateKey.toDer();
    qsizetype spkiPos = 0;
    qsizetype privatePos = 0;
    DerElement spki;
    DerElement priv;
    if (!readDer(spkiDer, spkiPos, spki) || !readDer(privateDer, privatePos, priv))
        return std::nullopt;
    const QList<DerElement> spkiParts = derChildren(spki.contents);
    if (spkiParts.size() != 2 || spkiParts[1].tag != 0x03 || spkiParts[1].contents.isEmpty())
        return std::nullopt;
    const QByteArrayView publicKey = spkiParts[1].contents.sliced(1); // after the unused-bits byte
    const QList<DerElement> privateParts = derChildren(priv.contents);

    if (privateKey.algorithm() == QSsl::Rsa) {
        qsizetype pos = 0;
        DerElement rsaPublic;
        if (!readDer(publicKey, pos, rsaPublic))
            return std::nullopt;
        const QList<DerElement> ne = derChildren(rsaPublic.contents);
        if (ne.size() != 2 || privateParts.size() < 3 || privateParts[1].tag != 0x02 || privateParts[2].tag != 0x02)
            return std::nullopt;
        return ne[0].contents == privateParts[1].contents && ne[1].contents == privateParts[2].contents;
    }
    if (privateKey.algorithm() == QSsl::Ec) {
        for (const DerElement& part : privateParts) {
            if (part.tag != 0xa1)
                continue;
            qsizetype pos = 0;
            DerElement bits;
            if (!readDer(part.contents, pos, bits) || bits.tag != 0x03 || bits.contents.isEmpty())
                return std::nullopt;
            return bits.contents.sliced(1) == publicKey;
        }
    }
    return std::nullopt;
}

/// The first PEM block whose label ends in "PRIVATE KEY", with its label; a certificate
/// and key in one file work too.
std::optional<std::pair<QByteArray, QByteArray>> privateKeyBlock(const QByteArray& data)
{
    qsizetype from = 0;
    while (true) {
        const qsizetype begin = data.indexOf("-----BEGIN ", from);
        if (begin < 0)
            return std::nullopt;
        const qsizetype labelEnd = data.indexOf("-----", begin + 11);
        if (labelEnd < 0)
            return std::nullopt;
        const QByteArray label = data.mid(begin + 11, labelEnd - begin - 11);
        const QByteArray endLine = "-----END " + label + "-----";
        const qsizetype end = data.indexOf(endLine, labelEnd);
        if (end < 0)
            return std::nullopt;
        if (label.endsWith("PRIVATE KEY"))
            return std::make_pair(label, data.mid(begin, end + endLine.size() - begin) + '\n');
        from = end + endLine.size();
    }
}

QString describe(const QSslCertificate& certificate)
{
    const QStringList cn = certificate.subjectInfo(QSslCertificate::CommonName);
    return cn.isEmpty() ? certificate.subjectDisplayName() : QStringLiteral("CN=%1").arg(cn.join(QLatin1Char(',')));
}

} // namespace

std::optional<TlsCredentials> TlsCredentials::load(const QString& certFile, const QString& keyFile, QString* error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    const std::optional<QByteArray> certData = readFile(certFile, "certificate", error);
    if (!certData)
        return std::nullopt;
    TlsCredentials c;
    c.certFile = certFile;
    c.keyFile = keyFile;
    c.chain = QSslCertificate::fromData(*certData, QSsl::Pem);
    if (c.chain.isEmpty() || c.chain.first().isNull()) {
        if (!certData->contains("-----BEGIN") && !QSslCertificate::fromData(*certData, QSsl::Der).isEmpty())
            *error = QStringLiteral("certificate file '%1' is DER, not PEM: convert it with "
                                    "'openssl x509 -inform der -in %1 -out cert.pem'")
                         .arg(certFile);
        else
            *error = QStringLiteral("certificate file '%1' holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
                         .arg(certFile);
        return std::nullopt;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (qsizetype i = 0; i < c.chain.size(); ++i) {
        const QSslCertificate& certificate = c.chain[i];
        if (certificate.isNull()) {
            *error = QStringLiteral("certificate %1 in '%2' cannot be read").arg(i + 1).arg(certFile);
            return std::nullopt;
        }
        if (certificate.expiryDate() < now) {
            const QString which = i == 0 ? QStringLiteral("certificate") : QStringLiteral("certificate %1").arg(i + 1);
            *error = QStringLiteral("%1 in '%2' (%3) expired on %4")
                         .arg(which, certFile, describe(certificate),
                              certificate.expiryDate().toUTC().toString(Qt::ISODate));
            return std::nullopt;
        }
    }

    const std::optional<QByteArray> keyData = readFile(keyFile, "key", error);
    if (!keyData)
        return std::nullopt;
    const auto block = privateKeyBlock(*keyData);
    if (!block) {
        if (!keyData->contains("-----BEGIN")
            && (!QSslKey(*keyData, QSsl::Rsa, QSsl::Der).isNull() || !QSslKey(*keyData, QSsl::Ec, QSsl::Der).isNull()))
            *error = QStringLiteral("key file '%1' is DER, not PEM: convert it with "
                                    "'openssl pkey -inform der -in %1 -out key.pem'")
                         .arg(keyFile);
        else
            *error = QStringLiteral("key file '%1' holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)")
                         .arg(keyFile);
        return std::nullopt;
    }
    const auto& [label, pem] = *block;
    if (label.startsWith("ENCRYPTED") || pem.contains("Proc-Type: 4,ENCRYPTED")) {
        *error = QStringLiteral("key file '%1' is protected by a passphrase, which the server cannot ask for: "
                                "remove it with 'openssl pkey -in %1 -out key.pem'")
                     .arg(keyFile);
        return std::nullopt;
    }
    // "RSA PRIVATE KEY" and "EC PRIVATE KEY" say what they hold; PKCS#8's "PRIVATE KEY"
    // does not, so both are tried.
    if (!label.startsWith("EC "))
        c.key = QSslKey(pem, QSsl::Rsa, QSsl::Pem, QSsl::PrivateKey);
    if (c.key.isNull() && !label.startsWith("RSA "))
        c.key = QSslKey(pem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (c.key.isNull()) {
        *error = QStringLiteral("key file '%1' holds no RSA or EC private key that can be read").arg(keyFile);
        return std::nullopt;
    }
    // When the key's form cannot tell (not expected from Qt's OpenSSL backend), the first
    // handshake will.
    if (const std::optional<bool> belongs = belongsTo(c.key, c.chain.first().publicKey()); belongs && !*belongs) {
        *error = QStringLiteral("key file '%1' does not belong to the certificate in '%2' (%3): "
                                "their public keys differ")
                     .arg(keyFile, certFile, describe(c.chain.first()));
        return std::nullopt;
    }
    return c;
}

} // namespace constellate::net
