#pragma once

#include "camera.h"
#include "graphdocument.h"
#include "renderscene.h"

#include <QOpenGLWidget>
#include <QPoint>

#include <memory>
#include <vector>

namespace constellate::render {
class SceneRenderer;
}

namespace constellate::ui {

/// The 3D view of a GraphDocument in a window: render/'s SceneRenderer in a QOpenGLWidget,
/// with the orbit camera on the mouse (left drag: orbit; right or middle drag, or Shift and
/// left: pan; wheel: zoom; F or Home: frame all). The document belongs to the caller and
/// must outlive the view; tell the view what changed (nodesChanged, edgesChanged,
/// documentReset) and it re-uploads only that.
class GraphView : public QOpenGLWidget {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);
    ~GraphView() override;

    /// Shows `document` (null: nothing), framing it.
    void setDocument(const GraphDocument* document);
    const render::Camera& camera() const { return m_camera; }
    /// The scene as drawn (tests and the status bar count instances).
    const render::RenderScene& scene() const { return m_scene; }
    /// Why the view cannot draw (no OpenGL 3.3), or empty.
    QString glError() const { return m_glError; }

public Q_SLOTS:
    void nodesChanged(const std::vector<EntityId>& ids);
    void edgesChanged(const std::vector<EntityId>& ids);
    /// Everything may have changed (a snapshot, a file opened): rebuilds the scene.
    void documentReset();
    void frameAll();

Q_SIGNALS:
    /// OpenGL could not be set up; the message says why.
    void glFailed(const QString& message);

protected:
    void initializeGL() override;
    void resizeGL(int width, int height) override;
    void paintGL() override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    float aspect() const;

    const GraphDocument* m_document = nullptr;
    render::RenderScene m_scene;
    render::Camera m_camera;
    std::unique_ptr<render::SceneRenderer> m_renderer;
    QString m_glError;
    QPoint m_lastMouse;
    bool m_framePending = true;
};

} // namespace constellate::ui
