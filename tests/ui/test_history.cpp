// The History panel in real windows (Xvfb): one editor hosts lesmis, another joins over
// loopback. A version saved in one is listed in both (the server tells the room); a revert
// in one is one undo step that reaches the other; a preview shows a version beside the
// live document without touching it; a viewer cannot save.

#include "editortestsupport.h"

#include "graphview.h"
#include "historypanel.h"
#include "noticebar.h"
#include "revert.h"
#include "versionpreview.h"

#include <QInputDialog>
#include <QPushButton>

using namespace constellate;
using namespace constellate::test;
using namespace constellate::ui;

namespace {

class HistoryTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        host = std::make_unique<HostedEditor>(0x1001, QStringLiteral("host"), 0x2ca02cffu,
                                              QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf"));
        ASSERT_TRUE(host->hosted);
        ASSERT_TRUE(waitFor([&] { return host->session->document().count(EntityKind::Node) == 77u; }));
        guest = std::make_unique<EditorSession>(Profile {0x2002, QStringLiteral("guest"), 0xff00ffffu});
        guestWindow = std::make_unique<MainWindow>(*guest);
        guestWindow->resize(1000, 700);
        guestWindow->show();
        QString error;
        ASSERT_TRUE(guest->join(host->roomUrl(QStringLiteral("lesmis")), QString(), &error)) << error.toStdString();
        ASSERT_TRUE(waitFor([&] { return guest->document().count(EntityKind::Node) == 77u; }));
        ASSERT_TRUE(waitFor([&] {
            return hostSession().client()->peers().size() == 1 && guest->client()->peers().size() == 1
                && guest->client()->state() == net::SyncClient::State::Online;
        }));
    }
    void TearDown() override
    {
        host->screenshot(QStringLiteral("host"));
        guestWindow.reset();
        guest.reset();
        host.reset();
    }
    EditorSession& hostSession() { return *host->session; }
    HistoryPanel* hostPanel() { return host->window->historyPanel(); }
    HistoryPanel* guestPanel() { return guestWindow->historyPanel(); }
    bool inStep() { return hostSession().document().canonicalHash() == guest->document().canonicalHash(); }
    /// Some visible node of the document, the n-th in id order.
    EntityId nodeAt(std::size_t n)
    {
        std::vector<EntityId> ids;
        hostSession().document().forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) { ids.push_back(e.id); }, true);
        return ids.at(n);
    }

    std::unique_ptr<HostedEditor> host;
    std::unique_ptr<EditorSession> guest;
    std::unique_ptr<MainWindow> guestWindow;
};

} // namespace

TEST_F(HistoryTest, ASavedVersionIsListedForBothAndARevertReachesTheOtherAsOneUndoStep)
{
    const std::string saved = visibleStateHash(guest->document());

    // The guest saves with Ctrl+Alt+S, naming the version in the dialog it asks with.
    DialogAnswerer namer([](QWidget* modal) {
        auto* dialog = qobject_cast<QInputDialog*>(modal);
        if (!dialog)
            return false;
        dialog->setTextValue(QStringLiteral("before the edits"));
        dialog->accept();
        return true;
    });
    key(guestWindow->view(), Qt::Key_S, Qt::ControlModifier | Qt::AltModifier);
    ASSERT_TRUE(namer.answered());
    // Listed for both, the host told by the server without asking; who saved it by name.
    ASSERT_TRUE(waitFor([&] { return hostPanel()->versions().size() == 1u && guestPanel()->versions().size() == 1u; }));
    EXPECT_TRUE(hostPanel()->lines()[0].startsWith(QStringLiteral("before the edits · guest · ")))
        << hostPanel()->lines()[0].toStdString();
    EXPECT_TRUE(guestPanel()->lines()[0].startsWith(QStringLiteral("before the edits · guest (you) · ")))
        << guestPanel()->lines()[0].toStdString();
    EXPECT_TRUE(guestWindow->noticeBar()->text().contains(QLatin1String("Saved the version")));

    // Both edit: a node deleted, a label and a colour changed, a node added, a property set.
    const EntityId gone = nodeAt(3), renamed = nodeAt(5), recoloured = nodeAt(8);
    hostSession().deleteEntities({gone});
    hostSession().setField({renamed}, {Field::Label, {}}, Value("Renamed"), QStringLiteral("Rename"));
    guest->setField({recoloured}, {Field::Color, {}}, Value::color(0xff0000ffu), QStringLiteral("Change Colour"));
    guest->setField({renamed}, {Field::Property, "mood"}, Value("cheerful"), QStringLiteral("Change Property"));
    const EntityId added = guest->addNode(Vec3 {1, 2, 3}, "added later");
    ASSERT_TRUE(waitFor([&] { return guest->client()->pendingCount() == 0 && hostSession().client()->pendingCount() == 0 && inStep(); }));
    const std::string edited = visibleStateHash(hostSession().document());
    ASSERT_NE(edited, saved);

    // The host selects the version and reverts: fetched, then one step.
    const net::protocol::VersionId id = hostPanel()->versions()[0].id;
    hostPanel()->select(id);
    ASSERT_TRUE(waitFor([&] { return hostPanel()->revertButton()->isEnabled(); }));
    hostPanel()->revertButton()->click();
    ASSERT_TRUE(waitFor([&] { return visibleStateHash(hostSession().document()) == saved; }))
        << hostPanel()->statusText().toStdString();
    EXPECT_EQ(hostSession().undoText(), QStringLiteral("Revert to “before the edits”"));
    EXPECT_TRUE(hostSession().document().isVisible(gone));
    EXPECT_FALSE(hostSession().document().isVisible(added));
    EXPECT_TRUE(host->window->noticeBar()->text().contains(QStringLiteral("Reverted to “before the edits”")))
        << host->window->noticeBar()->text().toStdString();
    // Synced: the guest's document shows the version too.
    ASSERT_TRUE(waitFor([&] { return visibleStateHash(guest->document()) == saved; }));
    // The list shows the version's size once fetched.
    EXPECT_TRUE(hostPanel()->lines()[0].endsWith(QStringLiteral("77 nodes, 254 edges"))) << hostPanel()->lines()[0].toStdString();

    // One undo takes the whole revert back, for both.
    key(host->window->view(), Qt::Key_Z, Qt::ControlModifier);
    EXPECT_EQ(visibleStateHash(hostSession().document()), edited);
    ASSERT_TRUE(waitFor([&] { return visibleStateHash(guest->document()) == edited; }));
}

TEST_F(HistoryTest, APreviewShowsTheVersionBesideTheLiveDocumentWithoutTouchingIt)
{
    QString why;
    ASSERT_TRUE(hostPanel()->saveVersion(QStringLiteral("seventy-seven"), &why)) << why.toStdString();
    ASSERT_TRUE(waitFor([&] { return hostPanel()->versions().size() == 1u; }));
    const std::string saved = visibleStateHash(hostSession().document());
    for (int i = 0; i < 3; ++i)
        guest->addNode(Vec3 {float(i), 0, 0}, "later " + std::to_string(i));
    ASSERT_TRUE(waitFor([&] { return hostSession().document().count(EntityKind::Node) == 80u; }));
    const std::string live = hostSession().document().canonicalHash();

    hostPanel()->select(hostPanel()->versions()[0].id);
    hostPanel()->previewButton()->click();
    ASSERT_TRUE(waitFor([&] { return hostPanel()->preview() && hostPanel()->preview()->isVisible(); }));
    VersionPreview* preview = hostPanel()->preview();
    EXPECT_TRUE(preview->bannerText().startsWith(QStringLiteral("Previewing “seventy-seven” — saved by host (you)")))
        << preview->bannerText().toStdString();
    EXPECT_EQ(visibleStateHash(preview->document()), saved);
    ASSERT_TRUE(waitFor([&] { return preview->view()->scene().nodes().size() == 77u; }));
    EXPECT_TRUE(preview->view()->glError().isEmpty());
    // The live document and its view are as they were: 80 nodes.
    EXPECT_EQ(hostSession().document().canonicalHash(), live);
    EXPECT_EQ(host->window->view()->scene().nodes().size(), 80u);
    // The preview is read only: the Add Node tool adds nothing there.
    preview->view()->setTool(Tool::AddNode);
    click(preview->view(), QPoint(preview->view()->width() / 3, preview->view()->height() / 3));
    EXPECT_EQ(preview->document().count(EntityKind::Node), 77u);
    EXPECT_EQ(hostSession().document().canonicalHash(), live);
    // Something is drawn: the version's nodes over the background.
    const QImage shot = preview->view()->grabSettledFrame();
    const QRgb background = shot.pixel(0, 0);
    int drawn = 0;
    for (int y = 0; y < shot.height(); y += 4)
        for (int x = 0; x < shot.width(); x += 4)
            drawn += shot.pixel(x, y) != background;
    EXPECT_GT(drawn, 100);
    const QByteArray dir = qgetenv("CONSTELLATE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        preview->grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/PreviewWindow.png"));

    // Revert from the banner: the preview closes and the document shows the version again.
    preview->revertButton()->click();
    EXPECT_FALSE(preview->isVisible());
    ASSERT_TRUE(waitFor([&] { return visibleStateHash(hostSession().document()) == saved; }));
    ASSERT_TRUE(waitFor([&] { return visibleStateHash(guest->document()) == saved; }));
    EXPECT_EQ(hostSession().document().count(EntityKind::Node), 77u);
    // Reverting again finds nothing to do.
    hostPanel()->revertSelected();
    EXPECT_EQ(hostPanel()->statusText(), QStringLiteral("The document already looks like “seventy-seven”."));
}

TEST_F(HistoryTest, AViewerSeesSaveAndRevertDisabledAndWhy)
{
    ASSERT_TRUE(guestPanel()->saveButton()->isEnabled());
    ASSERT_TRUE(hostPanel()->saveVersion(QStringLiteral("by the owner")));
    ASSERT_TRUE(waitFor([&] { return guestPanel()->versions().size() == 1u; }));
    hostSession().client()->setRole(0x2002, net::protocol::Role::Viewer);
    ASSERT_TRUE(waitFor([&] { return guest->client()->role() == net::protocol::Role::Viewer; }));
    ASSERT_TRUE(waitFor([&] { return !guestPanel()->saveButton()->isEnabled(); }));
    EXPECT_TRUE(guestPanel()->saveButton()->toolTip().startsWith(QStringLiteral("Viewers cannot save versions")))
        << guestPanel()->saveButton()->toolTip().toStdString();
    EXPECT_FALSE(guestPanel()->saveVersionAction()->isEnabled());
    EXPECT_EQ(guestPanel()->saveVersionAction()->toolTip(), guestPanel()->saveButton()->toolTip());
    QString why;
    EXPECT_FALSE(guestPanel()->saveVersion(QStringLiteral("sneaky"), &why));
    EXPECT_TRUE(why.startsWith(QStringLiteral("Viewers cannot save versions"))) << why.toStdString();
    // A viewer may preview, not revert.
    guestPanel()->select(guestPanel()->versions()[0].id);
    ASSERT_TRUE(waitFor([&] { return guestPanel()->previewButton()->isEnabled(); }));
    EXPECT_FALSE(guestPanel()->revertButton()->isEnabled());
    EXPECT_TRUE(guestPanel()->revertButton()->toolTip().startsWith(QStringLiteral("Viewers cannot revert")));

    // Names are checked before anything is sent.
    EXPECT_FALSE(hostPanel()->saveVersion(QStringLiteral("   "), &why));
    EXPECT_EQ(why, QStringLiteral("A version needs a name."));
    EXPECT_FALSE(hostPanel()->saveVersion(QString(65, QLatin1Char('x')), &why));
    EXPECT_TRUE(why.startsWith(QStringLiteral("A version's name is at most 64 bytes"))) << why.toStdString();
}

TEST(HistoryAlone, WithoutARoomThePanelSaysWhereVersionsLive)
{
    EditorSession session(Profile {0x3003, QStringLiteral("solo"), 0});
    MainWindow window(session);
    window.show();
    EXPECT_FALSE(window.historyPanel()->saveButton()->isEnabled());
    EXPECT_TRUE(window.historyPanel()->statusText().contains(QLatin1String("host or join a room")));
    EXPECT_TRUE(window.historyPanel()->saveButton()->toolTip().contains(QLatin1String("host or join a room")));
}
