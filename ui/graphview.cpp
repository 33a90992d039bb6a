#include "graphview.h"

#include "scenerenderer.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <cmath>

namespace constellate::ui {

namespace {
constexpr float RadiansPerPixel = 0.008f;
} // namespace

GraphView::GraphView(QWidget* parent) : QOpenGLWidget(parent)
{
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setDepthBufferSize(24);
    format.setSamples(4);
    setFormat(format);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(320, 240);
}

GraphView::~GraphView()
{
    // GL objects go with the context that made them.
    makeCurrent();
    m_renderer.reset();
    doneCurrent();
}

void GraphView::setDocument(const GraphDocument* document)
{
    m_document = document;
    documentReset();
    frameAll();
}

void GraphView::nodesChanged(const std::vector<EntityId>& ids)
{
    if (!m_document)
        return;
    m_scene.updateNodes(*m_document, ids);
    update();
}

void GraphView::edgesChanged(const std::vector<EntityId>& ids)
{
    if (!m_document)
        return;
    m_scene.updateEdges(*m_document, ids);
    update();
}

void GraphView::documentReset()
{
    if (m_document)
        m_scene.rebuild(*m_document);
    else
        m_scene = render::RenderScene();
    update();
}

void GraphView::frameAll()
{
    m_framePending = width() <= 0 || height() <= 0;
    if (!m_framePending)
        m_camera.frame(m_scene.bounds(), aspect());
    update();
}

float GraphView::aspect() const
{
    return height() > 0 ? float(width()) / float(height()) : 1.0f;
}

void GraphView::initializeGL()
{
    m_renderer = std::make_unique<render::SceneRenderer>();
    if (!m_renderer->initialize()) {
        m_glError = QStringLiteral("OpenGL 3.3 is needed to draw the graph: %1")
                        .arg(QString::fromStdString(m_renderer->error()));
        m_renderer.reset();
        Q_EMIT glFailed(m_glError);
    }
}

void GraphView::resizeGL(int, int)
{
    if (m_framePending)
        frameAll();
}

void GraphView::paintGL()
{
    if (!m_renderer)
        return;
    m_renderer->upload(m_scene);
    const qreal ratio = devicePixelRatioF();
    render::RenderTarget target;
    target.framebuffer = defaultFramebufferObject();
    target.width = int(std::lround(width() * ratio));
    target.height = int(std::lround(height() * ratio));
    m_renderer->render(m_camera.view(aspect()), target);
}

void GraphView::mousePressEvent(QMouseEvent* event)
{
    m_lastMouse = event->position().toPoint();
    event->accept();
}

void GraphView::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint now = event->position().toPoint();
    const QPoint delta = now - m_lastMouse;
    m_lastMouse = now;
    const bool pan = (event->buttons() & (Qt::RightButton | Qt::MiddleButton))
        || ((event->buttons() & Qt::LeftButton) && (event->modifiers() & Qt::ShiftModifier));
    if (pan)
        m_camera.pan(glm::vec2(float(delta.x()), float(delta.y())), float(height()));
    else if (event->buttons() & Qt::LeftButton)
        m_camera.orbit(-float(delta.x()) * RadiansPerPixel, -float(delta.y()) * RadiansPerPixel);
    else
        return;
    update();
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    const float steps = float(event->angleDelta().y()) / 120.0f;
    m_camera.zoom(std::pow(0.85f, steps));
    update();
    event->accept();
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_F || event->key() == Qt::Key_Home) {
        frameAll();
        return;
    }
    QOpenGLWidget::keyPressEvent(event);
}

} // namespace constellate::ui
