#include "identity.h"

#include <QSettings>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace constellate;

TEST(Identity, ProfileUserIdIsCreatedOnceAndKept)
{
    QTemporaryDir dir;
    const QString path = dir.filePath("settings.ini");
    UserId first = 0;
    {
        QSettings s(path, QSettings::IniFormat);
        first = profileUserId(s);
        EXPECT_NE(first, 0u);
    }
    QSettings again(path, QSettings::IniFormat);
    EXPECT_EQ(profileUserId(again), first);
}

TEST(Identity, RandomIdsAreNeverZeroAndDiffer)
{
    EXPECT_NE(newReplicaId(), 0u);
    EXPECT_NE(newUserId(), newUserId());
}

TEST(Identity, ARestartedReplicaNeverReusesACounter)
{
    QTemporaryDir dir;
    const QString path = dir.filePath("counter");
    const ReplicaId replica = 0x5eed;
    std::uint32_t lastUsed = 0;
    {
        FileCounterReservation reservation(path, replica);
        GraphDocument doc(replica, 1);
        doc.setCounterReservation(&reservation);
        for (int i = 0; i < 3; ++i) {
            TransactionBuilder t = doc.begin();
            t.createNode();
            lastUsed = doc.commit(t).header().lastCounter();
        }
    } // "crash": nothing else saved
    EXPECT_EQ(FileCounterReservation::replicaInFile(path), replica);
    FileCounterReservation reservation(path, replica);
    EXPECT_GE(reservation.reserved(), lastUsed);
    GraphDocument restarted(replica, 1);
    restarted.setCounterReservation(&reservation);
    TransactionBuilder t = restarted.begin();
    t.createNode();
    EXPECT_GT(restarted.commit(t).header().firstCounter, lastUsed);
}

TEST(Identity, ACounterFileOfAnotherReplicaIsRefused)
{
    QTemporaryDir dir;
    const QString path = dir.filePath("counter");
    FileCounterReservation(path, 1).reserveThrough(10);
    EXPECT_THROW(FileCounterReservation(path, 2), std::runtime_error);
}
