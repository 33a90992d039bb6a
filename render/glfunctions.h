#pragma once

#include <QOpenGLFunctions_3_3_Core>

#include <cstddef>
#include <string>

class QOpenGLContext;

namespace constellate::render {

/// OpenGL 3.3 core functions with what every pass of the renderer needs from them:
/// binding to the current context, compiling and linking a program against the shared
/// view block (shaders::ViewBlock), and instanced vertex attributes. The renderer's passes
/// (SceneRenderer, LabelRenderer) derive their GL state from it. Use on the context's thread.
struct GlFunctions : QOpenGLFunctions_3_3_Core {
    QOpenGLContext* context = nullptr;
    std::string error; ///< why the last failing call failed

    /// Resolves the functions in the current context; false (error set) when there is
    /// none or it does not offer 3.3 core.
    bool bindCurrentContext();
    /// Compiles `vertex` and `fragment` (bodies after "#version 330 core" and the view
    /// block), links them, binds the ViewBlock uniform block to `viewBlockBinding`. 0 on
    /// failure, with error naming `name` and the driver's log.
    GLuint linkProgram(const char* vertex, const char* fragment, const char* name, GLuint viewBlockBinding);
    /// One per-instance attribute (divisor 1) of the bound array buffer: integers stay
    /// integers (GL_UNSIGNED_INT), the rest are floats (normalised when asked).
    void instanceAttribute(GLuint location, GLint components, GLenum type, bool normalized, GLsizei stride,
                           std::size_t offset);

private:
    GLuint compile(GLenum type, const char* body, const char* name);
    std::string log(GLuint object, bool program);
};

} // namespace constellate::render
