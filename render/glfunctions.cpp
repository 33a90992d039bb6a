#include "glfunctions.h"

#include "shaders.h"

#include <QOpenGLContext>

namespace constellate::render {

bool GlFunctions::bindCurrentContext()
{
    context = QOpenGLContext::currentContext();
    if (!context) {
        error = "no current OpenGL context";
        return false;
    }
    if (!initializeOpenGLFunctions()) {
        error = "the context does not offer OpenGL 3.3 core";
        return false;
    }
    return true;
}

GLuint GlFunctions::compile(GLenum type, const char* body, const char* name)
{
    const char* sources[] = {"#version 330 core\n", shaders::ViewBlock, body};
    const GLuint shader = glCreateShader(type);
    glShaderSource(shader, 3, sources, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        error = std::string("compiling ") + name + ": " + log(shader, false);
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

std::string GlFunctions::log(GLuint object, bool program)
{
    GLint length = 0;
    program ? glGetProgramiv(object, GL_INFO_LOG_LENGTH, &length) : glGetShaderiv(object, GL_INFO_LOG_LENGTH, &length);
    std::string text(std::size_t(length > 0 ? length : 1), '\0');
    program ? glGetProgramInfoLog(object, length, nullptr, text.data())
            : glGetShaderInfoLog(object, length, nullptr, text.data());
    return text.c_str();
}

GLuint GlFunctions::linkProgram(const char* vertex, const char* fragment, const char* name, GLuint viewBlockBinding)
{
    const GLuint vs = compile(GL_VERTEX_SHADER, vertex, name);
    const GLuint fs = vs ? compile(GL_FRAGMENT_SHADER, fragment, name) : 0;
    if (!fs) {
        glDeleteShader(vs);
        return 0;
    }
    const GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        error = std::string("linking ") + name + ": " + log(program, true);
        glDeleteProgram(program);
        return 0;
    }
    const GLuint block = glGetUniformBlockIndex(program, "ViewBlock");
    if (block != GL_INVALID_INDEX)
        glUniformBlockBinding(program, block, viewBlockBinding);
    return program;
}

void GlFunctions::instanceAttribute(GLuint location, GLint components, GLenum type, bool normalized, GLsizei stride,
                                    std::size_t offset)
{
    glEnableVertexAttribArray(location);
    const auto pointer = reinterpret_cast<const void*>(offset);
    if (type == GL_UNSIGNED_INT)
        glVertexAttribIPointer(location, components, type, stride, pointer);
    else
        glVertexAttribPointer(location, components, type, normalized ? GL_TRUE : GL_FALSE, stride, pointer);
    glVertexAttribDivisor(location, 1);
}

} // namespace constellate::render
