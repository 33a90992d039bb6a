#include "labelrenderer.h"

#include "glfunctions.h"
#include "labelshaders.h"
#include "shaders.h"

#include <QOpenGLContext>
#include <QOpenGLFunctions_3_3_Core>

#include <cstddef>

namespace constellate::render {

struct LabelRenderer::Gl : GlFunctions {
    GLuint program = 0;
    GLuint vao = 0;
    GLuint buffer = 0;
    GLuint texture = 0;
    GLsizei count = 0;
    float spread = 0.0f;
    GLint haloColorLocation = -1;
    GLint haloPixelsLocation = -1;
    GLint spreadLocation = -1;

    bool link(GLuint viewBlockBinding)
    {
        program = linkProgram(shaders::GlyphVertex, shaders::GlyphFragment, "the label shader", viewBlockBinding);
        if (!program)
            return false;
        glUseProgram(program);
        glUniform1i(glGetUniformLocation(program, "u_atlas"), 0);
        glUseProgram(0);
        haloColorLocation = glGetUniformLocation(program, "u_haloColor");
        haloPixelsLocation = glGetUniformLocation(program, "u_haloPixels");
        spreadLocation = glGetUniformLocation(program, "u_spread");
        return true;
    }

    void attribute(GLuint location, GLint components, GLenum type, bool normalized, std::size_t offset)
    {
        instanceAttribute(location, components, type, normalized, sizeof(GlyphInstance), offset);
    }

    void destroy()
    {
        glDeleteProgram(program);
        glDeleteVertexArrays(1, &vao);
        glDeleteBuffers(1, &buffer);
        glDeleteTextures(1, &texture);
    }
};

LabelRenderer::LabelRenderer() = default;

LabelRenderer::~LabelRenderer()
{
    if (m_gl && m_gl->context && QOpenGLContext::currentContext() == m_gl->context)
        m_gl->destroy();
}

bool LabelRenderer::isInitialized() const
{
    return m_gl && m_gl->program;
}

const std::string& LabelRenderer::error() const
{
    static const std::string none;
    return m_gl ? m_gl->error : none;
}

bool LabelRenderer::initialize(std::uint32_t viewBlockBinding)
{
    m_gl = std::make_unique<Gl>();
    Gl& gl = *m_gl;
    if (!gl.bindCurrentContext())
        return false;
    if (!gl.link(viewBlockBinding))
        return false;
    gl.glGenVertexArrays(1, &gl.vao);
    gl.glGenBuffers(1, &gl.buffer);
    gl.glBindVertexArray(gl.vao);
    gl.glBindBuffer(GL_ARRAY_BUFFER, gl.buffer);
    gl.attribute(0, 3, GL_FLOAT, false, offsetof(GlyphInstance, anchor));
    gl.attribute(1, 2, GL_FLOAT, false, offsetof(GlyphInstance, pixelOffset));
    gl.attribute(2, 2, GL_FLOAT, false, offsetof(GlyphInstance, pixelSize));
    gl.attribute(3, 4, GL_UNSIGNED_SHORT, false, offsetof(GlyphInstance, atlasRect));
    gl.attribute(4, 4, GL_UNSIGNED_BYTE, true, offsetof(GlyphInstance, color));
    gl.attribute(5, 1, GL_UNSIGNED_INT, false, offsetof(GlyphInstance, flags));
    gl.glBindVertexArray(0);
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
    return true;
}

bool LabelRenderer::setAtlas(const GlyphAtlas& atlas)
{
    if (!isInitialized() || !atlas.isValid())
        return false;
    Gl& gl = *m_gl;
    const QImage& image = atlas.image();
    GLint maxSize = 0;
    gl.glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxSize);
    if (image.width() > maxSize || image.height() > maxSize) {
        gl.error = "the glyph atlas (" + std::to_string(image.width()) + "x" + std::to_string(image.height())
            + ") exceeds GL_MAX_TEXTURE_SIZE " + std::to_string(maxSize);
        return false;
    }
    if (!gl.texture)
        gl.glGenTextures(1, &gl.texture);
    gl.glActiveTexture(GL_TEXTURE0);
    gl.glBindTexture(GL_TEXTURE_2D, gl.texture);
    gl.glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    gl.glPixelStorei(GL_UNPACK_ROW_LENGTH, GLint(image.bytesPerLine()));
    gl.glTexImage2D(
        GL_TEXTURE_2D, 0, GL_R8, image.width(), image.height(), 0, GL_RED, GL_UNSIGNED_BYTE, image.constBits());
    gl.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    gl.glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    gl.glBindTexture(GL_TEXTURE_2D, 0);
    gl.spread = atlas.table().spread;
    return true;
}

bool LabelRenderer::hasAtlas() const
{
    return m_gl && m_gl->texture && m_gl->spread > 0.0f;
}

void LabelRenderer::upload(std::span<const GlyphInstance> glyphs)
{
    if (!isInitialized())
        return;
    Gl& gl = *m_gl;
    gl.count = GLsizei(glyphs.size());
    if (glyphs.empty())
        return;
    gl.glBindBuffer(GL_ARRAY_BUFFER, gl.buffer);
    // A new store each frame (orphaning): no wait for the frame that still reads the last.
    gl.glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(glyphs.size_bytes()), glyphs.data(), GL_STREAM_DRAW);
    gl.glBindBuffer(GL_ARRAY_BUFFER, 0);
}

int LabelRenderer::draw(const LabelOptions& options)
{
    if (!isInitialized() || !hasAtlas() || m_gl->count == 0)
        return 0;
    Gl& gl = *m_gl;
    gl.glUseProgram(gl.program);
    const Rgba h = options.haloColor;
    gl.glUniform4f(gl.haloColorLocation, float((h >> 24) & 0xff) / 255.0f, float((h >> 16) & 0xff) / 255.0f,
        float((h >> 8) & 0xff) / 255.0f, float(h & 0xff) / 255.0f);
    gl.glUniform1f(gl.haloPixelsLocation, options.haloPixels * (options.scale > 0.0f ? options.scale : 1.0f));
    gl.glUniform1f(gl.spreadLocation, gl.spread);
    gl.glActiveTexture(GL_TEXTURE0);
    gl.glBindTexture(GL_TEXTURE_2D, gl.texture);
    gl.glEnable(GL_BLEND);
    gl.glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA); // the fragment shader writes premultiplied colour
    gl.glDepthMask(GL_FALSE);
    gl.glDepthFunc(GL_LEQUAL);
    gl.glBindVertexArray(gl.vao);
    gl.glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, gl.count);
    gl.glBindVertexArray(0);
    gl.glBindTexture(GL_TEXTURE_2D, 0);
    gl.glDepthFunc(GL_LESS);
    gl.glDepthMask(GL_TRUE);
    gl.glDisable(GL_BLEND);
    gl.glUseProgram(0);
    return 1;
}

} // namespace constellate::render
