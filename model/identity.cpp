#include "identity.h"

#include <QFile>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSettings>

#include <stdexcept>

namespace constellate {

UserId newUserId()
{
    UserId id = 0;
    while (id == 0)
        id = QRandomGenerator::system()->generate64();
    return id;
}

ReplicaId newReplicaId()
{
    ReplicaId id = 0;
    while (id == 0)
        id = QRandomGenerator::system()->generate();
    return id;
}

UserId profileUserId(QSettings& settings)
{
    bool ok = false;
    UserId id = settings.value(QStringLiteral("identity/userId")).toString().toULongLong(&ok, 16);
    if (!ok || id == 0) {
        id = newUserId();
        settings.setValue(QStringLiteral("identity/userId"), QString::number(id, 16));
        settings.sync();
    }
    return id;
}

namespace {

bool readCounterFile(const QString& path, ReplicaId& replica, std::uint32_t& reserved)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> parts = f.readAll().trimmed().split(' ');
    bool ok1 = false, ok2 = false;
    if (parts.size() != 4 || parts[0] != "constellate-counter" || parts[1] != "1")
        throw std::runtime_error("not a counter file: " + path.toStdString());
    replica = parts[2].toUInt(&ok1, 16);
    reserved = parts[3].toUInt(&ok2);
    if (!ok1 || !ok2)
        throw std::runtime_error("damaged counter file: " + path.toStdString());
    return true;
}

} // namespace

ReplicaId FileCounterReservation::replicaInFile(const QString& path)
{
    ReplicaId replica = 0;
    std::uint32_t reserved = 0;
    return readCounterFile(path, replica, reserved) ? replica : 0;
}

FileCounterReservation::FileCounterReservation(QString path, ReplicaId replica)
    : m_path(std::move(path)), m_replica(replica)
{
    ReplicaId inFile = 0;
    if (readCounterFile(m_path, inFile, m_reserved) && inFile != replica)
        throw std::runtime_error("counter file " + m_path.toStdString() + " belongs to another replica");
}

void FileCounterReservation::reserveThrough(std::uint32_t counter)
{
    if (counter <= m_reserved)
        return;
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly))
        throw std::runtime_error("cannot write " + m_path.toStdString() + ": " + f.errorString().toStdString());
    f.write("constellate-counter 1 " + QByteArray::number(m_replica, 16) + ' ' + QByteArray::number(counter) + '\n');
    // QSaveFile::commit() flushes to disk before renaming over the old file.
    if (!f.commit())
        throw std::runtime_error("cannot save " + m_path.toStdString() + ": " + f.errorString().toStdString());
    m_reserved = counter;
}

} // namespace constellate
