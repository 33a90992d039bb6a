#pragma once

#include "graphdocument.h"
#include "types.h"

#include <QString>

class QSettings;

namespace constellate {

/// A fresh random user id (never 0).
UserId newUserId();
/// A fresh random replica id (never 0).
ReplicaId newReplicaId();

/// The profile's user id, created and saved on first use ("identity/userId").
UserId profileUserId(QSettings& settings);

/// Keeps a replica's reserved counter in a small file, written atomically and synced
/// before any counter under it is used. The file holds "constellate-counter 1 REPLICA
/// RESERVED" on one line.
class FileCounterReservation final : public CounterReservation {
public:
    /// Reads the file if it exists. Throws std::runtime_error if it exists but belongs to
    /// another replica or cannot be read.
    FileCounterReservation(QString path, ReplicaId replica);
    std::uint32_t reserved() const override { return m_reserved; }
    void reserveThrough(std::uint32_t counter) override;
    /// The replica named in an existing file (0 when there is none).
    static ReplicaId replicaInFile(const QString& path);

private:
    QString m_path;
    ReplicaId m_replica;
    std::uint32_t m_reserved = 0;
};

} // namespace constellate
