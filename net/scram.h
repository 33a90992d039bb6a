#pragma once

#include <QByteArray>
#include <QString>

namespace constellate::net::scram {

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as the room access key uses it: the server keeps only
// a salted verifier (salt, iterations, StoredKey, ServerKey); a client proves it knows the
// key without sending it, and the server's signature proves to the client that the server
// holds the verifier. How the messages travel (and what AuthMessage is made of) is the
// protocol's business (docs/protocol.md); these are the pure functions both sides share.
//
//   SaltedPassword  = Hi(Normalize(key), salt, i)         (PBKDF2-HMAC-SHA-256)
//   ClientKey       = HMAC(SaltedPassword, "Client Key")
//   StoredKey       = H(ClientKey)
//   ClientSignature = HMAC(StoredKey, AuthMessage)
//   ClientProof     = ClientKey XOR ClientSignature
//   ServerKey       = HMAC(SaltedPassword, "Server Key")
//   ServerSignature = HMAC(ServerKey, AuthMessage)

constexpr int KeyBytes = 32; ///< SHA-256 output: every key, proof and signature
constexpr int SaltBytes = 16; ///< what makeVerifier's callers should use
constexpr int DefaultIterations = 4096; ///< RFC 7677's minimum
constexpr int MaxIterations = 1'000'000; ///< a client refuses more (each costs a PBKDF2 round)

/// What the server keeps instead of the key.
struct Verifier {
    QByteArray salt;
    int iterations = 0;
    QByteArray storedKey;
    QByteArray serverKey;
    friend bool operator==(const Verifier&, const Verifier&) = default;
};

/// The key as bytes: UTF-8 of its NFKC form (a simplification of SASLprep that agrees with
/// it on printable text). Both sides must use this, so that "é" typed either way matches.
QByteArray normalizedKey(const QString& key);

/// Hi(): PBKDF2-HMAC-SHA-256 of the normalized key. Empty when iterations is out of
/// [1, MaxIterations].
QByteArray saltedPassword(const QString& key, const QByteArray& salt, int iterations);
QByteArray clientKey(const QByteArray& saltedPassword);
QByteArray storedKey(const QByteArray& clientKey);
QByteArray serverKey(const QByteArray& saltedPassword);

/// The verifier for a key (the salt: SaltBytes random bytes chosen by the caller).
Verifier makeVerifier(const QString& key, const QByteArray& salt, int iterations);

/// The client's proof for one exchange.
QByteArray clientProof(const QString& key, const QByteArray& salt, int iterations, const QByteArray& authMessage);

/// The server's check of a client's proof against the stored verifier (constant time).
bool verifyClientProof(const QByteArray& storedKey, const QByteArray& authMessage, const QByteArray& proof);

/// What the server sends back so that the client knows it talks to a holder of the verifier.
QByteArray serverSignature(const QByteArray& serverKey, const QByteArray& authMessage);

/// The client's side in one PBKDF2 run: its proof and the server signature to expect.
struct ClientResponse {
    QByteArray proof;
    QByteArray expectedServerSignature;
};
ClientResponse clientResponse(
    const QString& key, const QByteArray& salt, int iterations, const QByteArray& authMessage);

/// Compares without an early exit, so timing does not tell how many bytes matched.
bool constantTimeEquals(const QByteArray& a, const QByteArray& b);

} // namespace constellate::net::scram
