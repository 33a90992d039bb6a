#include "scram.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QPasswordDigestor>

namespace constellate::net::scram {

namespace {

QByteArray hmac(const QByteArray& key, const QByteArray& message)
{
    return QMessageAuthenticationCode::hash(message, key, QCryptographicHash::Sha256);
}

QByteArray xorBytes(const QByteArray& a, const QByteArray& b)
{
    QByteArray out(a.size(), '\0');
    for (qsizetype i = 0; i < a.size(); ++i)
        out[i] = char(a[i] ^ b[i]);
    return out;
}

} // namespace

QByteArray normalizedKey(const QString& key)
{
    return key.normalized(QString::NormalizationForm_KC).toUtf8();
}

QByteArray saltedPassword(const QString& key, const QByteArray& salt, int iterations)
{
    if (iterations < 1 || iterations > MaxIterations)
        return {};
    return QPasswordDigestor::deriveKeyPbkdf2(
        QCryptographicHash::Sha256, normalizedKey(key), salt, iterations, KeyBytes);
}

QByteArray clientKey(const QByteArray& salted)
{
    return hmac(salted, QByteArrayLiteral("Client Key"));
}

QByteArray storedKey(const QByteArray& clientKeyBytes)
{
    return QCryptographicHash::hash(clientKeyBytes, QCryptographicHash::Sha256);
}

QByteArray serverKey(const QByteArray& salted)
{
    return hmac(salted, QByteArrayLiteral("Server Key"));
}

Verifier makeVerifier(const QString& key, const QByteArray& salt, int iterations)
{
    const QByteArray salted = saltedPassword(key, salt, iterations);
    if (salted.isEmpty())
        return {};
    return { salt, iterations, storedKey(clientKey(salted)), serverKey(salted) };
}

QByteArray clientProof(const QString& key, const QByteArray& salt, int iterations, const QByteArray& authMessage)
{
    return clientResponse(key, salt, iterations, authMessage).proof;
}

ClientResponse clientResponse(const QString& key, const QByteArray& salt, int iterations, const QByteArray& authMessage)
{
    const QByteArray salted = saltedPassword(key, salt, iterations);
    if (salted.isEmpty())
        return {};
    const QByteArray ck = clientKey(salted);
    const QByteArray signature = hmac(storedKey(ck), authMessage);
    return { xorBytes(ck, signature), serverSignature(serverKey(salted), authMessage) };
}

bool verifyClientProof(const QByteArray& stored, const QByteArray& authMessage, const QByteArray& proof)
{
    if (stored.size() != KeyBytes || proof.size() != KeyBytes)
        return false;
    const QByteArray ck = xorBytes(proof, hmac(stored, authMessage));
    return constantTimeEquals(storedKey(ck), stored);
}

QByteArray serverSignature(const QByteArray& serverKeyBytes, const QByteArray& authMessage)
{
    return hmac(serverKeyBytes, authMessage);
}

bool constantTimeEquals(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace constellate::net::scram
