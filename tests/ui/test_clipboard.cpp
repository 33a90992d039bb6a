// Cut, copy and paste of subgraphs in real windows (Xvfb), through the real clipboard:
// two editors host two rooms in this process (lesmis and karate, each with its own server),
// a third party follows the second room with a plain SyncClient. What is copied in one room
// is pasted in the other as one undo step that reaches the room; a paste into the document
// it came from lands beside the originals; cut and undo; a malformed clipboard says so.

#include "editortestsupport.h"

#include "documentio.h"
#include "graphclipboard.h"
#include "graphview.h"
#include "revert.h"
#include "subgraph.h"
#include "syncclient.h"

#include <QClipboard>
#include <QMimeData>
#include <QStatusBar>

#include <glm/glm.hpp>

#include <map>
#include <set>

using namespace constellate;
using namespace constellate::test;
using namespace constellate::ui;

namespace {

class ClipboardTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        a = std::make_unique<HostedEditor>(0x1001, QStringLiteral("alice"), 0x2ca02cffu,
                                           QStringLiteral(CONSTELLATE_TEST_GRAPHS "/lesmis.gexf"));
        b = std::make_unique<HostedEditor>(0x2002, QStringLiteral("bob"), 0xff00ffffu,
                                           QStringLiteral(CONSTELLATE_TEST_GRAPHS "/karate.graphml"));
        ASSERT_TRUE(a->hosted && b->hosted);
        ASSERT_TRUE(waitFor([&] { return docA().count(EntityKind::Node) == 77u && docB().count(EntityKind::Node) == 34u; }));
        // Someone else in Bob's room, to see that pastes travel.
        net::SyncClientOptions o;
        o.url = b->roomUrl(QStringLiteral("karate"));
        o.displayName = "carol";
        o.role = net::protocol::Role::Viewer;
        observer = std::make_unique<net::SyncClient>(observerDoc, o);
        observer->start();
        ASSERT_TRUE(waitFor([&] { return observer->state() == net::SyncClient::State::Online && observerDoc.count(EntityKind::Node) == 34u; }));
        ASSERT_TRUE(waitFor([&] { return a->window->view()->scene().nodes().size() == 77u
                                      && b->window->view()->scene().nodes().size() == 34u; }));
        settle(100);
    }
    void TearDown() override
    {
        a->screenshot(QStringLiteral("lesmis"));
        b->screenshot(QStringLiteral("karate"));
        observer.reset();
        b.reset();
        a.reset();
    }
    GraphDocument& docA() { return a->session->document(); }
    GraphDocument& docB() { return b->session->document(); }
    /// A node of lesmis with two neighbours (the first in id order), and the number of edges
    /// among the three.
    std::vector<EntityId> triangleish(std::size_t* edgesAmong)
    {
        std::vector<const GraphDocument::Entity*> edges;
        docA().forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) { edges.push_back(&e); }, true);
        std::map<EntityId, std::set<EntityId>> neighbours;
        for (const auto* e : edges)
            if (e->a != e->b) {
                neighbours[e->a].insert(e->b);
                neighbours[e->b].insert(e->a);
            }
        std::vector<EntityId> nodes;
        for (const auto& [node, around] : neighbours)
            if (around.size() >= 2) {
                nodes = {node, *around.begin(), *std::next(around.begin())};
                break;
            }
        const std::set<EntityId> set(nodes.begin(), nodes.end());
        *edgesAmong = std::size_t(std::count_if(edges.begin(), edges.end(), [&](const auto* e) { return set.count(e->a) && set.count(e->b); }));
        return nodes;
    }
    static std::multiset<std::string> labels(const GraphDocument& doc, const std::vector<EntityId>& ids)
    {
        std::multiset<std::string> out;
        for (const EntityId id : ids)
            out.insert(std::string(doc.label(*doc.entity(id))));
        return out;
    }

    std::unique_ptr<HostedEditor> a, b;
    GraphDocument observerDoc {0x5005, 0x5005};
    std::unique_ptr<net::SyncClient> observer;
};

} // namespace

TEST_F(ClipboardTest, CopiedInOneRoomPastedInAnotherAsOneUndoStepThatTheRoomSees)
{
    std::size_t among = 0;
    const std::vector<EntityId> picked = triangleish(&among);
    ASSERT_EQ(picked.size(), 3u);
    ASSERT_GE(among, 2u); // a node and two of its neighbours
    a->session->setSelection(picked);
    key(a->window->view(), Qt::Key_C, Qt::ControlModifier);
    const QMimeData* data = QGuiApplication::clipboard()->mimeData();
    ASSERT_TRUE(data && data->hasFormat(GraphClipboard::MimeType));
    EXPECT_TRUE(data->text().contains(QLatin1String("\"links\""))); // JSON node-link for other programs
    EXPECT_TRUE(a->window->statusBar()->currentMessage().startsWith(QStringLiteral("Copied 3 nodes")));

    const std::size_t nodesBefore = docB().count(EntityKind::Node), edgesBefore = docB().count(EntityKind::Edge);
    const std::string before = docB().canonicalHash();
    const glm::vec3 lookedAt = b->window->view()->camera().target();
    key(b->window->view(), Qt::Key_V, Qt::ControlModifier);
    ASSERT_EQ(docB().count(EntityKind::Node), nodesBefore + 3);
    EXPECT_EQ(docB().count(EntityKind::Edge), edgesBefore + among);
    EXPECT_EQ(b->session->undoText(), QStringLiteral("Paste 3 Nodes"));
    // The pasted nodes are selected: new ids, the same labels, colours, sizes and properties.
    const std::vector<EntityId> pasted = b->session->selection();
    ASSERT_EQ(pasted.size(), 3u);
    for (const EntityId id : pasted)
        EXPECT_EQ(id.replica, docB().replica());
    EXPECT_EQ(labels(docB(), pasted), labels(docA(), picked));
    EXPECT_EQ(exportGraphData(Subgraph::copy(docB(), pasted).graph()).nodes.size(), 3u);
    // Centred where Bob's camera looked (another document: not beside originals), in their
    // own geometry; lesmis is drawn larger than karate, so Bob's view frames them.
    const Vec3 c = Subgraph::copy(docB(), pasted).center();
    const Vec3 c0 = Subgraph::copy(docA(), picked).center();
    EXPECT_LT(glm::distance(glm::vec3(c.x, c.y, c.z), lookedAt), 1e-3f);
    std::vector<EntityId> originals = picked;
    std::sort(originals.begin(), originals.end()); // pasted in the originals' id order
    for (std::size_t i = 0; i < 3; ++i) {
        const Vec3 p = docB().position(*docB().entity(pasted[i]));
        const Vec3 q = docA().position(*docA().entity(originals[i]));
        EXPECT_LT(glm::distance(glm::vec3(p.x - c.x, p.y - c.y, p.z - c.z), glm::vec3(q.x - c0.x, q.y - c0.y, q.z - c0.z)), 1e-3f);
    }
    GraphView* view = b->window->view();
    for (const EntityId id : pasted) {
        const auto at = view->pixelOf(id);
        ASSERT_TRUE(at.has_value());
        EXPECT_TRUE(QRect(QPoint(0, 0), view->size()).contains(*at));
    }
    // The room has them.
    ASSERT_TRUE(waitFor([&] { return observerDoc.count(EntityKind::Node) == nodesBefore + 3; }));
    ASSERT_TRUE(waitFor([&] { return observerDoc.count(EntityKind::Edge) == edgesBefore + among; }));

    // One undo takes the paste back, for the room too.
    key(b->window->view(), Qt::Key_Z, Qt::ControlModifier);
    EXPECT_EQ(docB().count(EntityKind::Node), nodesBefore);
    ASSERT_TRUE(waitFor([&] { return observerDoc.count(EntityKind::Node) == nodesBefore; }));
    EXPECT_NE(docB().canonicalHash(), before); // new operations, not forgotten ones
}

TEST_F(ClipboardTest, APasteIntoTheDocumentItCameFromLandsBesideTheOriginals)
{
    GraphView* view = a->window->view();
    std::size_t among = 0;
    const std::vector<EntityId> picked = triangleish(&among);
    a->session->setSelection({picked[0]});
    key(view, Qt::Key_C, Qt::ControlModifier);
    key(view, Qt::Key_V, Qt::ControlModifier);
    ASSERT_EQ(a->session->selection().size(), 1u);
    const EntityId first = a->session->selection()[0];
    EXPECT_NE(first, picked[0]);
    EXPECT_EQ(docA().label(*docA().entity(first)), docA().label(*docA().entity(picked[0])));
    key(view, Qt::Key_V, Qt::ControlModifier);
    const EntityId second = a->session->selection()[0];
    EXPECT_NE(second, first);
    EXPECT_EQ(a->session->undoText(), QStringLiteral("Paste Node"));
    // On screen: down and to the right of the original, the second paste further along.
    settle(50);
    const auto p0 = view->pixelOf(picked[0]), p1 = view->pixelOf(first), p2 = view->pixelOf(second);
    ASSERT_TRUE(p0 && p1 && p2);
    EXPECT_GT(p1->x() - p0->x(), 10);
    EXPECT_GT(p1->y() - p0->y(), 10);
    EXPECT_GT(p2->x() - p1->x(), 10);
    EXPECT_GT(p2->y() - p1->y(), 10);
    EXPECT_TRUE(QRect(QPoint(0, 0), view->size()).contains(*p2));
}

TEST_F(ClipboardTest, CutIsACopyAndADeleteInOneStepAndUndoBringsThemBack)
{
    std::size_t among = 0;
    const std::vector<EntityId> picked = triangleish(&among);
    a->session->setSelection(picked);
    const std::string before = visibleStateHash(docA());
    key(a->window->view(), Qt::Key_X, Qt::ControlModifier);
    for (const EntityId id : picked)
        EXPECT_FALSE(docA().isVisible(id));
    EXPECT_EQ(a->session->undoText(), QStringLiteral("Cut"));
    EXPECT_TRUE(a->session->selection().empty());
    key(a->window->view(), Qt::Key_Z, Qt::ControlModifier);
    for (const EntityId id : picked)
        EXPECT_TRUE(docA().isVisible(id));
    EXPECT_EQ(visibleStateHash(docA()), before);
    EXPECT_EQ(a->session->redoText(), QStringLiteral("Cut"));

    // What was cut pastes in the other room.
    key(b->window->view(), Qt::Key_V, Qt::ControlModifier);
    EXPECT_EQ(docB().count(EntityKind::Node), 34u + 3u);
}

TEST_F(ClipboardTest, AClipboardWithoutAGraphOrAMalformedOneSaysSoAndChangesNothing)
{
    const std::string before = docB().canonicalHash();
    auto pasteExpecting = [&](const QString& expected) {
        QString shown;
        DialogAnswerer answer([&](QWidget* modal) {
            auto* box = qobject_cast<QMessageBox*>(modal);
            if (!box)
                return false;
            shown = box->text();
            box->accept();
            return true;
        });
        key(b->window->view(), Qt::Key_V, Qt::ControlModifier);
        EXPECT_TRUE(answer.answered());
        EXPECT_TRUE(shown.contains(expected)) << shown.toStdString();
        EXPECT_EQ(docB().canonicalHash(), before);
    };
    auto* garbage = new QMimeData;
    garbage->setData(GraphClipboard::MimeType, QByteArray("CONSTELLATE-SUBGRAPH\x01\x01garbage", 29));
    QGuiApplication::clipboard()->setMimeData(garbage);
    pasteExpecting(QStringLiteral("The graph on the clipboard cannot be pasted: "));

    std::size_t among = 0;
    Subgraph s = Subgraph::copy(docA(), triangleish(&among));
    std::string bytes = s.encode();
    bytes.resize(bytes.size() - 5); // cut short
    auto* truncated = new QMimeData;
    truncated->setData(GraphClipboard::MimeType, QByteArray(bytes.data(), qsizetype(bytes.size())));
    QGuiApplication::clipboard()->setMimeData(truncated);
    pasteExpecting(QStringLiteral("Nothing was changed."));

    QGuiApplication::clipboard()->setText(QStringLiteral("just some words"));
    pasteExpecting(QStringLiteral("The clipboard holds no graph"));

    QGuiApplication::clipboard()->setText(QStringLiteral("{\"nodes\": [{\"id\": 1}, "));
    pasteExpecting(QStringLiteral("not a graph Constellate can paste (JSON node-link): the clipboard:1:"));

    // JSON node-link text from another program pastes.
    QGuiApplication::clipboard()->setText(QStringLiteral(R"({"nodes": [{"id": "x", "label": "from elsewhere"}, {"id": "y"}], "links": [{"source": "x", "target": "y"}]})"));
    key(b->window->view(), Qt::Key_V, Qt::ControlModifier);
    EXPECT_EQ(docB().count(EntityKind::Node), 34u + 2u);
    EXPECT_EQ(labels(docB(), b->session->selection()), (std::multiset<std::string> {"from elsewhere", "y"}));
}
