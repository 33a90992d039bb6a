#include "scenerenderer.h"

#include "labelpass.h"
#include "glfunctions.h"
#include "shaders.h"

#include <QOpenGLContext>
#include <QOpenGLFunctions_3_3_Core>

#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace constellate::render {

namespace {

/// The per-view uniform block (std140: mat4, mat4, vec4, mat4, no padding).
struct ViewBlockData {
    glm::mat4 view;
    glm::mat4 projection;
    glm::vec4 viewport;
    glm::mat4 viewProjection;
};
static_assert(sizeof(ViewBlockData) == 208);

/// One end of an edge drawn as a line (EdgeLineVertex): where it is and its colour.
struct LineVertex {
    glm::vec3 position;
    std::uint8_t color[4];
};
static_assert(sizeof(LineVertex) == 16);

/// The two ends of an edge's line: the source, and the target or, when directed, the
/// arrowhead's tip on the target's surface (as EdgeVertex places it).
void lineVertices(const EdgeInstance& e, LineVertex* out)
{
    glm::vec3 end = e.target;
    if (e.flags & 1u) {
        const glm::vec3 along = e.target - e.source;
        const float length = glm::length(along);
        if (length > 0.0f)
            end -= along / length * std::min(e.targetRadius, length);
    }
    out[0].position = e.source;
    out[1].position = end;
    for (int i = 0; i < 4; ++i)
        out[0].color[i] = out[1].color[i] = e.color[i];
}

constexpr GLuint ViewBlockBinding = 0;
constexpr float ArrowLengthPixels = 12.0f;

} // namespace

struct SceneRenderer::Gl : GlFunctions {
    GLuint nodeProgram = 0;
    GLuint edgeProgram = 0;
    GLuint edgeLineProgram = 0;
    GLuint ringProgram = 0;
    GLint ringWidthLocation = -1;
    GLuint nodeVao = 0;
    GLuint edgeVao = 0;
    GLuint nodeBuffer = 0;
    GLuint edgeBuffer = 0;
    GLuint viewBuffer = 0;
    GLsizei nodeCount = 0;
    GLsizei edgeCount = 0;
    // Overlays: small buffers rebuilt whole when they change.
    GLuint ringVao = 0;
    GLuint highlightEdgeVao = 0;
    GLuint avatarVao = 0;
    GLuint ringBuffer = 0;
    GLuint highlightEdgeBuffer = 0;
    GLuint avatarBuffer = 0;
    GLsizei ringCount = 0;
    GLsizei highlightEdgeCount = 0;
    GLsizei avatarCount = 0;
    // The directed edges' instances again, for the arrowheads of the lines path: a large
    // graph's arrowhead pass then runs over these only.
    GLuint arrowVao = 0;
    GLuint arrowBuffer = 0;
    GLsizei arrowCount = 0;
    // The lines path's vertices, two per edge, kept while the graph has enough edges.
    GLuint lineVao = 0;
    GLuint lineBuffer = 0;
    GLsizei lineVertexCount = 0;
    bool linesValid = false;

    GLuint link(const char* vertex, const char* fragment, const char* name)
    {
        return linkProgram(vertex, fragment, name, ViewBlockBinding);
    }

    void attribute(GLuint location, GLint components, GLenum type, bool normalized, GLsizei stride, std::size_t offset)
    {
        instanceAttribute(location, components, type, normalized, stride, offset);
    }

    void bindNodeAttributes(GLuint vao, GLuint buffer)
    {
        glBindVertexArray(vao);
        glBindBuffer(GL_ARRAY_BUFFER, buffer);
        constexpr GLsizei nodeStride = sizeof(NodeInstance);
        attribute(0, 3, GL_FLOAT, false, nodeStride, offsetof(NodeInstance, position));
        attribute(1, 1, GL_FLOAT, false, nodeStride, offsetof(NodeInstance, radius));
        attribute(2, 4, GL_UNSIGNED_BYTE, true, nodeStride, offsetof(NodeInstance, color));
    }

    void bindEdgeAttributes(GLuint vao, GLuint buffer)
    {
        glBindVertexArray(vao);
        glBindBuffer(GL_ARRAY_BUFFER, buffer);
        constexpr GLsizei edgeStride = sizeof(EdgeInstance);
        attribute(0, 3, GL_FLOAT, false, edgeStride, offsetof(EdgeInstance, source));
        attribute(1, 3, GL_FLOAT, false, edgeStride, offsetof(EdgeInstance, target));
        attribute(2, 4, GL_UNSIGNED_BYTE, true, edgeStride, offsetof(EdgeInstance, color));
        attribute(3, 1, GL_FLOAT, false, edgeStride, offsetof(EdgeInstance, targetRadius));
        attribute(4, 1, GL_UNSIGNED_INT, false, edgeStride, offsetof(EdgeInstance, flags));
    }

    void bindRingAttributes(GLuint vao, GLuint buffer)
    {
        glBindVertexArray(vao);
        glBindBuffer(GL_ARRAY_BUFFER, buffer);
        constexpr GLsizei ringStride = sizeof(RingInstance);
        attribute(0, 3, GL_FLOAT, false, ringStride, offsetof(RingInstance, center));
        attribute(1, 1, GL_FLOAT, false, ringStride, offsetof(RingInstance, radius));
        attribute(2, 4, GL_UNSIGNED_BYTE, true, ringStride, offsetof(RingInstance, color));
        attribute(3, 1, GL_FLOAT, false, ringStride, offsetof(RingInstance, ring));
    }

    // Replaces a small overlay buffer's contents whole.
    template<typename Instance>
    void replace(GLuint buffer, const std::vector<Instance>& instances, GLsizei& count, std::size_t& bytes)
    {
        if (instances.empty() && count == 0)
            return;
        const std::size_t size = instances.size() * sizeof(Instance);
        glBindBuffer(GL_ARRAY_BUFFER, buffer);
        glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(size), size ? instances.data() : nullptr, GL_DYNAMIC_DRAW);
        glBindBuffer(GL_ARRAY_BUFFER, 0);
        count = GLsizei(instances.size());
        bytes += size;
    }

    void destroy()
    {
        glDeleteProgram(nodeProgram);
        glDeleteProgram(edgeProgram);
        glDeleteProgram(edgeLineProgram);
        glDeleteProgram(ringProgram);
        const GLuint vaos[] = {nodeVao, edgeVao, ringVao, highlightEdgeVao, avatarVao, arrowVao, lineVao};
        glDeleteVertexArrays(7, vaos);
        const GLuint buffers[] = {nodeBuffer, edgeBuffer, viewBuffer, ringBuffer, highlightEdgeBuffer, avatarBuffer,
                                  arrowBuffer, lineBuffer};
        glDeleteBuffers(8, buffers);
    }
};

SceneRenderer::SceneRenderer()
    : m_labels(std::make_unique<LabelPass>())
{
}

SceneRenderer::~SceneRenderer()
{
    if (m_gl && m_gl->context && QOpenGLContext::currentContext() == m_gl->context)
        m_gl->destroy();
}

bool SceneRenderer::isInitialized() const
{
    return m_gl && m_gl->nodeProgram && m_gl->edgeProgram && m_gl->edgeLineProgram && m_gl->ringProgram;
}

const std::string& SceneRenderer::error() const
{
    static const std::string none;
    return m_gl ? m_gl->error : none;
}

bool SceneRenderer::initialize()
{
    m_gl = std::make_unique<Gl>();
    Gl& gl = *m_gl;
    if (!gl.bindCurrentContext())
        return false;
    gl.nodeProgram = gl.link(shaders::NodeVertex, shaders::NodeFragment, "node shader");
    gl.edgeProgram = gl.nodeProgram ? gl.link(shaders::EdgeVertex, shaders::EdgeFragment, "edge shader") : 0;
    gl.edgeLineProgram =
        gl.edgeProgram ? gl.link(shaders::EdgeLineVertex, shaders::EdgeFragment, "edge line shader") : 0;
    gl.ringProgram = gl.edgeLineProgram ? gl.link(shaders::RingVertex, shaders::RingFragment, "outline shader") : 0;
    if (!gl.ringProgram)
        return false;
    gl.ringWidthLocation = gl.glGetUniformLocation(gl.ringProgram, "u_ringWidth");

    GLuint vaos[7];
    gl.glGenVertexArrays(7, vaos);
    gl.nodeVao = vaos[0];
    gl.edgeVao = vaos[1];
    gl.ringVao = vaos[2];
    gl.highlightEdgeVao = vaos[3];
    gl.avatarVao = vaos[4];
    gl.arrowVao = vaos[5];
    gl.lineVao = vaos[6];
    GLuint buffers[8];
    gl.glGenBuffers(8, buffers);
    gl.nodeBuffer = buffers[0];
    gl.edgeBuffer = buffers[1];
    gl.viewBuffer = buffers[2];
    gl.ringBuffer = buffers[3];
    gl.highlightEdgeBuffer = buffers[4];
    gl.avatarBuffer = buffers[5];
    gl.arrowBuffer = buffers[6];
    gl.lineBuffer = buffers[7];

    gl.bindNodeAttributes(gl.nodeVao, gl.nodeBuffer);
    gl.bindEdgeAttributes(gl.edgeVao, gl.edgeBuffer);
    gl.bindRingAttributes(gl.ringVao, gl.ringBuffer);
    gl.bindEdgeAttributes(gl.highlightEdgeVao, gl.highlightEdgeBuffer);
    gl.bindNodeAttributes(gl.avatarVao, gl.avatarBuffer);
    gl.bindEdgeAttributes(gl.arrowVao, gl.arrowBuffer);
    gl.glBindVertexArray(gl.lineVao);
    gl.glBindBuffer(GL_ARRAY_BUFFER, gl.lineBuffer);
    gl.glEnableVertexAttribArray(0);
    gl.glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, sizeof(LineVertex),
                             reinterpret_cast<const void*>(offsetof(LineVertex, position)));
    gl.glEnableVertexAttribArray(1);
    gl.glVertexAttribPointer(1, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(LineVertex),
                             reinterpret_cast<const void*>(offsetof(LineVertex, color)));
    gl.glBindVertexArray(0);
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);

    gl.glBindBuffer(GL_UNIFORM_BUFFER, gl.viewBuffer);
    gl.glBufferData(GL_UNIFORM_BUFFER, sizeof(ViewBlockData), nullptr, GL_DYNAMIC_DRAW);
    gl.glBindBuffer(GL_UNIFORM_BUFFER, 0);

    // Labels that cannot be drawn leave the graph drawn: labelError() says why.
    m_labels->initialize(ViewBlockBinding);
    return true;
}

std::string SceneRenderer::glDescription() const
{
    if (!m_gl || !m_gl->context)
        return {};
    auto text = [&](GLenum name) {
        const auto* s = reinterpret_cast<const char*>(m_gl->glGetString(name));
        return std::string(s ? s : "?");
    };
    return text(GL_RENDERER) + ", OpenGL " + text(GL_VERSION);
}

namespace {
template<typename Instance>
void uploadInstances(QOpenGLFunctions_3_3_Core& gl, GLuint buffer,
                     std::span<const Instance> instances, bool rebuilt, const std::vector<InstanceRange>& ranges,
                     GLsizei& count, std::size_t& bytes, int& calls)
{
    if (!rebuilt && ranges.empty())
        return;
    gl.glBindBuffer(GL_ARRAY_BUFFER, buffer);
    if (rebuilt) {
        // A new store each time (orphaning): the driver need not wait for frames in flight.
        const std::size_t size = instances.size_bytes();
        gl.glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(size), size ? instances.data() : nullptr, GL_DYNAMIC_DRAW);
        count = GLsizei(instances.size());
        bytes += size;
        ++calls;
    } else {
        for (const InstanceRange& r : ranges) {
            const std::size_t offset = std::size_t(r.first) * sizeof(Instance);
            const std::size_t size = std::size_t(r.count) * sizeof(Instance);
            gl.glBufferSubData(GL_ARRAY_BUFFER, GLintptr(offset), GLsizeiptr(size), instances.data() + r.first);
            bytes += size;
            ++calls;
        }
    }
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
}
} // namespace

void SceneRenderer::upload(RenderScene& scene)
{
    m_stats.nodeBytesUploaded = 0;
    m_stats.edgeBytesUploaded = 0;
    m_stats.lineBytesUploaded = 0;
    m_stats.bufferUpdates = 0;
    m_stats.overlayBytesUploaded = 0;
    if (!isInitialized())
        return;
    const RenderScene::Changes changes = scene.takeChanges();
    uploadInstances(*m_gl, m_gl->nodeBuffer, scene.nodes(), changes.nodesRebuilt, changes.nodeRanges,
                    m_gl->nodeCount, m_stats.nodeBytesUploaded, m_stats.bufferUpdates);
    uploadInstances(*m_gl, m_gl->edgeBuffer, scene.edges(), changes.edgesRebuilt, changes.edgeRanges,
                    m_gl->edgeCount, m_stats.edgeBytesUploaded, m_stats.bufferUpdates);
    uploadArrows(scene, changes);
    uploadLines(scene, changes);

    if (m_highlightsChanged || scene.version() != m_highlightedVersion) {
        const HighlightInstances h = highlightInstances(scene, m_highlights);
        m_gl->replace(m_gl->ringBuffer, h.rings, m_gl->ringCount, m_stats.overlayBytesUploaded);
        m_gl->replace(m_gl->highlightEdgeBuffer, h.edges, m_gl->highlightEdgeCount, m_stats.overlayBytesUploaded);
        m_highlightsChanged = false;
        m_highlightedVersion = scene.version();
    }
    if (m_avatarsChanged) {
        m_gl->replace(m_gl->avatarBuffer, avatarInstances(m_avatars), m_gl->avatarCount,
                      m_stats.overlayBytesUploaded);
        m_avatarsChanged = false;
    }
    m_labels->upload(scene, changes);
}

void SceneRenderer::uploadLines(const RenderScene& scene, const RenderScene::Changes& changes)
{
    Gl& gl = *m_gl;
    const std::span<const EdgeInstance> edges = scene.edges();
    if (edges.empty() || edges.size() < m_edgeLinesFrom) {
        // Too few edges for lines: their memory goes.
        if (gl.lineVertexCount > 0) {
            gl.glBindBuffer(GL_ARRAY_BUFFER, gl.lineBuffer);
            gl.glBufferData(GL_ARRAY_BUFFER, 0, nullptr, GL_DYNAMIC_DRAW);
            gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
        }
        gl.lineVertexCount = 0;
        gl.linesValid = false;
        return;
    }
    std::vector<LineVertex> vertices;
    gl.glBindBuffer(GL_ARRAY_BUFFER, gl.lineBuffer);
    if (changes.edgesRebuilt || !gl.linesValid) {
        vertices.resize(2 * edges.size());
        for (std::size_t i = 0; i < edges.size(); ++i)
            lineVertices(edges[i], &vertices[2 * i]);
        const std::size_t size = vertices.size() * sizeof(LineVertex);
        gl.glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(size), vertices.data(), GL_DYNAMIC_DRAW);
        gl.lineVertexCount = GLsizei(vertices.size());
        gl.linesValid = true;
        m_stats.lineBytesUploaded += size;
        ++m_stats.bufferUpdates;
    } else {
        for (const InstanceRange& r : changes.edgeRanges) {
            vertices.resize(2 * std::size_t(r.count));
            for (std::uint32_t i = 0; i < r.count; ++i)
                lineVertices(edges[r.first + i], &vertices[2 * std::size_t(i)]);
            const std::size_t size = vertices.size() * sizeof(LineVertex);
            gl.glBufferSubData(GL_ARRAY_BUFFER, GLintptr(2 * std::size_t(r.first) * sizeof(LineVertex)), GLsizeiptr(size),
                               vertices.data());
            m_stats.lineBytesUploaded += size;
            ++m_stats.bufferUpdates;
        }
    }
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void SceneRenderer::uploadArrows(const RenderScene& scene, const RenderScene::Changes& changes)
{
    // Which edges are directed changes only when the edge instances are rebuilt (an edge's
    // direction is fixed when it is made); otherwise the changed ranges' directed edges are
    // copied to their places (a contiguous run per range).
    Gl& gl = *m_gl;
    const std::span<const EdgeInstance> edges = scene.edges();
    std::vector<EdgeInstance> run;
    if (changes.edgesRebuilt) {
        m_directed.clear();
        for (std::uint32_t i = 0; i < edges.size(); ++i)
            if (edges[i].flags & 1u) {
                m_directed.push_back(i);
                run.push_back(edges[i]);
            }
        gl.replace(gl.arrowBuffer, run, gl.arrowCount, m_stats.edgeBytesUploaded);
        return;
    }
    if (m_directed.empty())
        return;
    gl.glBindBuffer(GL_ARRAY_BUFFER, gl.arrowBuffer);
    for (const InstanceRange& r : changes.edgeRanges) {
        const auto first = std::lower_bound(m_directed.begin(), m_directed.end(), r.first);
        const auto last = std::lower_bound(first, m_directed.end(), r.first + r.count);
        if (first == last)
            continue;
        run.clear();
        for (auto it = first; it != last; ++it)
            run.push_back(edges[*it]);
        const std::size_t offset = std::size_t(first - m_directed.begin()) * sizeof(EdgeInstance);
        gl.glBufferSubData(GL_ARRAY_BUFFER, GLintptr(offset), GLsizeiptr(run.size() * sizeof(EdgeInstance)), run.data());
        m_stats.edgeBytesUploaded += run.size() * sizeof(EdgeInstance);
        ++m_stats.bufferUpdates;
    }
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
}

void SceneRenderer::setHighlights(Highlights highlights)
{
    m_highlights = std::move(highlights);
    m_highlightsChanged = true;
}

void SceneRenderer::setAvatars(std::vector<Avatar> avatars)
{
    m_avatars = std::move(avatars);
    m_avatarsChanged = true;
}

void SceneRenderer::render(const View& view, const RenderTarget& target)
{
    m_stats.drawCalls = 0;
    m_stats.glyphsDrawn = 0;
    m_stats.labelsShown = 0;
    if (!isInitialized() || target.width <= 0 || target.height <= 0)
        return;
    Gl& gl = *m_gl;

    const ViewBlockData block {view.view, view.projection,
                               glm::vec4(float(target.width), float(target.height), m_edgeWidth, ArrowLengthPixels),
                               view.projection * view.view};
    gl.glBindBuffer(GL_UNIFORM_BUFFER, gl.viewBuffer);
    gl.glBufferSubData(GL_UNIFORM_BUFFER, 0, sizeof block, &block);
    gl.glBindBuffer(GL_UNIFORM_BUFFER, 0);
    gl.glBindBufferBase(GL_UNIFORM_BUFFER, ViewBlockBinding, gl.viewBuffer);

    gl.glBindFramebuffer(GL_FRAMEBUFFER, target.framebuffer);
    gl.glViewport(target.x, target.y, target.width, target.height);
    gl.glScissor(target.x, target.y, target.width, target.height);
    gl.glEnable(GL_SCISSOR_TEST); // clear only this target's rectangle (one eye of two)
    gl.glClearColor(float((m_background >> 24) & 0xff) / 255.0f, float((m_background >> 16) & 0xff) / 255.0f,
                    float((m_background >> 8) & 0xff) / 255.0f, float(m_background & 0xff) / 255.0f);
    gl.glClearDepth(1.0);
    gl.glDepthMask(GL_TRUE);
    gl.glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    gl.glEnable(GL_DEPTH_TEST);
    gl.glDepthFunc(GL_LESS);
    gl.glDisable(GL_BLEND);
    gl.glDisable(GL_CULL_FACE);

    if (gl.nodeCount > 0) {
        gl.glUseProgram(gl.nodeProgram);
        gl.glBindVertexArray(gl.nodeVao);
        gl.glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, gl.nodeCount);
        ++m_stats.drawCalls;
    }
    m_stats.edgesAsLines = gl.linesValid && gl.lineVertexCount == 2 * gl.edgeCount && m_edgeWidth <= 1.5f;
    if (m_stats.edgesAsLines) {
        // Bodies as lines, then the directed edges' arrowheads alone (the quad program's
        // vertices 6 to 8).
        gl.glUseProgram(gl.edgeLineProgram);
        gl.glBindVertexArray(gl.lineVao);
        gl.glDrawArrays(GL_LINES, 0, gl.lineVertexCount);
        ++m_stats.drawCalls;
        if (gl.arrowCount > 0) {
            gl.glUseProgram(gl.edgeProgram);
            gl.glBindVertexArray(gl.arrowVao);
            gl.glDrawArraysInstanced(GL_TRIANGLES, 6, 3, gl.arrowCount);
            ++m_stats.drawCalls;
        }
    } else if (gl.edgeCount > 0) {
        gl.glUseProgram(gl.edgeProgram);
        gl.glBindVertexArray(gl.edgeVao);
        gl.glDrawArraysInstanced(GL_TRIANGLES, 0, 9, gl.edgeCount);
        ++m_stats.drawCalls;
    }
    if (gl.highlightEdgeCount > 0) {
        // The same edges again, wider, in front of themselves: pulled forward by the
        // polygon offset and passing depth ties, so the highlight colour wins.
        const glm::vec4 viewport(float(target.width), float(target.height), m_highlightedEdgeWidth, ArrowLengthPixels);
        gl.glBindBuffer(GL_UNIFORM_BUFFER, gl.viewBuffer);
        gl.glBufferSubData(GL_UNIFORM_BUFFER, offsetof(ViewBlockData, viewport), sizeof viewport, &viewport);
        gl.glBindBuffer(GL_UNIFORM_BUFFER, 0);
        gl.glDepthFunc(GL_LEQUAL);
        gl.glEnable(GL_POLYGON_OFFSET_FILL);
        gl.glPolygonOffset(-1.0f, -1.0f);
        gl.glUseProgram(gl.edgeProgram);
        gl.glBindVertexArray(gl.highlightEdgeVao);
        gl.glDrawArraysInstanced(GL_TRIANGLES, 0, 9, gl.highlightEdgeCount);
        gl.glDisable(GL_POLYGON_OFFSET_FILL);
        gl.glDepthFunc(GL_LESS);
        ++m_stats.drawCalls;
    }
    if (gl.ringCount > 0) {
        gl.glUseProgram(gl.ringProgram);
        gl.glUniform1f(gl.ringWidthLocation, m_outlineWidth);
        gl.glBindVertexArray(gl.ringVao);
        gl.glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, gl.ringCount);
        ++m_stats.drawCalls;
    }
    if (gl.avatarCount > 0) {
        gl.glUseProgram(gl.nodeProgram);
        gl.glBindVertexArray(gl.avatarVao);
        gl.glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, gl.avatarCount);
        ++m_stats.drawCalls;
    }
    m_stats.drawCalls += m_labels->render(view, glm::vec2(float(target.width), float(target.height)));
    m_stats.glyphsDrawn = m_labels->glyphsDrawn();
    m_stats.labelsShown = m_labels->labelsShown();
    gl.glBindVertexArray(0);
    gl.glUseProgram(0);
    gl.glDisable(GL_SCISSOR_TEST);
}

void SceneRenderer::setLabelOptions(const LabelOptions& options)
{
    m_labels->setOptions(options);
}

const LabelOptions& SceneRenderer::labelOptions() const
{
    return m_labels->options();
}

void SceneRenderer::setLabelHighlights(LabelHighlights highlights)
{
    m_labels->setHighlights(std::move(highlights));
}

void SceneRenderer::setTextItems(std::vector<TextItem> items)
{
    m_labels->setTextItems(std::move(items));
}

void SceneRenderer::setLabelAtlasReadyCallback(std::function<void()> callback)
{
    m_labels->setAtlasReadyCallback(std::move(callback));
}

bool SceneRenderer::labelsReady() const
{
    return m_labels->ready();
}

void SceneRenderer::waitForLabelAtlas()
{
    m_labels->waitForAtlas();
}

const std::string& SceneRenderer::labelError() const
{
    return m_labels->error();
}

const LabelLayout::Result& SceneRenderer::lastLabelLayout() const
{
    return m_labels->lastLayout();
}

void SceneRenderer::finish()
{
    if (m_gl && m_gl->context)
        m_gl->glFinish();
}

} // namespace constellate::render
