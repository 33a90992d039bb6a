#pragma once

// GLSL 3.30 core sources of the renderer's programs. Kept in C++ strings so that the
// library needs no resource files; the instance layouts they read are NodeInstance and
// EdgeInstance (renderscene.h) and RingInstance (highlights.h), bound in scenerenderer.cpp.

namespace constellate::render::shaders {

/// Per-view data, one uniform block shared by every program (binding point 0).
inline constexpr const char* ViewBlock = R"(
layout(std140) uniform ViewBlock {
    mat4 u_view;
    mat4 u_projection;
    vec4 u_viewport; // width and height in pixels, edge width in pixels, arrow length in pixels
    mat4 u_viewProjection; // u_projection * u_view, once per frame rather than per vertex
};
bool isOrthographic() { return u_projection[3][3] != 0.0; }
)";

/// A camera-facing square just large enough to cover the sphere's silhouette.
inline constexpr const char* NodeVertex = R"(
layout(location = 0) in vec3 a_center;
layout(location = 1) in float a_radius;
layout(location = 2) in vec4 a_color;

out vec3 v_eyePos;
flat out vec3 v_center;
flat out float v_radius;
flat out vec4 v_color;

const vec2 corners[4] = vec2[4](vec2(-1.0, -1.0), vec2(1.0, -1.0), vec2(-1.0, 1.0), vec2(1.0, 1.0));

void main()
{
    vec3 c = (u_view * vec4(a_center, 1.0)).xyz;
    vec3 axis;
    float halfSide;
    if (isOrthographic()) {
        axis = vec3(0.0, 0.0, -1.0);
        halfSide = a_radius;
    } else {
        // The rays from the eye that touch the sphere cross the plane through its centre,
        // facing the eye, within r d / sqrt(d^2 - r^2) of the centre.
        float d = length(c);
        axis = c / max(d, 1e-30);
        halfSide = d > a_radius * 1.0001 ? a_radius * d / sqrt(d * d - a_radius * a_radius) : 0.0;
    }
    vec3 helper = abs(axis.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 right = normalize(cross(axis, helper));
    vec3 up = cross(right, axis);
    vec2 k = corners[gl_VertexID];
    vec3 p = c + halfSide * (k.x * right + k.y * up);
    v_eyePos = p;
    v_center = c;
    v_radius = a_radius;
    v_color = a_color;
    // The eye inside the sphere, or a zero radius: nothing to draw (outside the clip volume).
    gl_Position = halfSide > 0.0 ? u_projection * vec4(p, 1.0) : vec4(2.0, 2.0, 2.0, 1.0);
}
)";

/// Intersects the eye ray with the sphere, shades it, and writes the hit's depth.
inline constexpr const char* NodeFragment = R"(
in vec3 v_eyePos;
flat in vec3 v_center;
flat in float v_radius;
flat in vec4 v_color;

out vec4 fragColor;

void main()
{
    vec3 ro = isOrthographic() ? vec3(v_eyePos.xy, v_center.z + 2.0 * v_radius) : vec3(0.0);
    vec3 rd = isOrthographic() ? vec3(0.0, 0.0, -1.0) : normalize(v_eyePos);
    // Distance from the centre to the ray, computed without the cancellation of the
    // textbook quadratic (far, small spheres).
    vec3 oc = ro - v_center;
    float b = dot(oc, rd);
    vec3 h = oc - b * rd;
    float disc = v_radius * v_radius - dot(h, h);
    if (disc < 0.0)
        discard;
    float t = -b - sqrt(disc);
    vec3 hit = ro + t * rd;
    vec3 n = (hit - v_center) / v_radius;
    // A light over the viewer's right shoulder, fixed to the eye.
    vec3 l = normalize(vec3(0.3, 0.5, 1.0));
    float diffuse = max(dot(n, l), 0.0);
    // pow(s, 32.0) by squaring: five products instead of a log and an exp per pixel.
    float s1 = max(dot(reflect(-l, n), -rd), 0.0);
    float s2 = s1 * s1;
    float s4 = s2 * s2;
    float s8 = s4 * s4;
    float s16 = s8 * s8;
    float specular = s16 * s16;
    fragColor = vec4(v_color.rgb * (0.35 + 0.65 * diffuse) + 0.25 * specular, v_color.a);
    vec4 clip = u_projection * vec4(hit, 1.0);
    gl_FragDepth = clamp(0.5 * clip.z / clip.w + 0.5, 0.0, 1.0);
}
)";

/// Nine vertices per edge: a quad of constant pixel width (six), then an arrowhead at
/// the target's surface (three; collapsed to nothing on undirected edges).
inline constexpr const char* EdgeVertex = R"(
layout(location = 0) in vec3 a_source;
layout(location = 1) in vec3 a_target;
layout(location = 2) in vec4 a_color;
layout(location = 3) in float a_targetRadius;
layout(location = 4) in uint a_flags;

flat out vec4 v_color; // one colour per edge: nothing to interpolate

const float alongEnd[6] = float[6](0.0, 1.0, 1.0, 0.0, 1.0, 0.0);
const float side[6] = float[6](-1.0, -1.0, 1.0, -1.0, 1.0, 1.0);
const vec4 culled = vec4(2.0, 2.0, 2.0, 1.0);

vec4 toClip(vec2 pixels, vec4 depthFrom)
{
    return vec4(pixels / (0.5 * u_viewport.xy) * depthFrom.w, depthFrom.z, depthFrom.w);
}

void main()
{
    v_color = a_color;
    bool directed = (a_flags & 1u) != 0u;
    vec3 along = a_target - a_source;
    float len = length(along);
    vec3 end = a_target;
    if (directed && len > 0.0)
        end -= along / len * min(a_targetRadius, len); // the tip touches the target's surface
    mat4 viewProjection = u_viewProjection;
    vec4 p0 = viewProjection * vec4(a_source, 1.0);
    vec4 p1 = viewProjection * vec4(end, 1.0);
    // Clip to the near plane (z > -w) so that an edge passing behind the eye keeps its
    // visible part.
    float d0 = p0.z + p0.w;
    float d1 = p1.z + p1.w;
    if (d0 < 0.0 && d1 < 0.0) {
        gl_Position = culled;
        return;
    }
    bool tipVisible = d1 >= 0.0;
    float cut = d0 / (d0 - d1);
    vec4 q0 = d0 < 0.0 ? mix(p0, p1, cut) : p0;
    vec4 q1 = d1 < 0.0 ? mix(p0, p1, cut) : p1;
    vec2 s0 = q0.xy / q0.w * 0.5 * u_viewport.xy;
    vec2 s1 = q1.xy / q1.w * 0.5 * u_viewport.xy;
    vec2 dir = s1 - s0;
    float pixelLength = length(dir);
    dir = pixelLength > 1e-4 ? dir / pixelLength : vec2(1.0, 0.0);
    vec2 normal = vec2(-dir.y, dir.x);
    float arrow = directed && tipVisible ? min(u_viewport.w, 0.5 * pixelLength) : 0.0;
    vec2 base = s1 - dir * arrow;

    if (gl_VertexID < 6) {
        bool atEnd = alongEnd[gl_VertexID] > 0.5;
        vec2 s = (atEnd ? base : s0) + normal * side[gl_VertexID] * 0.5 * u_viewport.z;
        gl_Position = toClip(s, atEnd ? q1 : q0);
    } else if (arrow > 0.0) {
        vec2 s = gl_VertexID == 6 ? s1 : base + normal * (gl_VertexID == 7 ? 0.4 : -0.4) * arrow;
        gl_Position = toClip(s, q1);
    } else {
        gl_Position = culled;
    }
}
)";

/// Large graphs with thin edges: each edge body as one line of two plain vertices (not
/// instanced: a software renderer shades vertices eight at a time, and an instance of two
/// would leave six lanes idle), from the source to the arrowhead's tip. The vertices are
/// made on the CPU from the edge instances (LineVertex in scenerenderer.cpp); the
/// arrowheads are drawn apart by EdgeVertex (vertices 6 to 8 only) and cover the line's end.
inline constexpr const char* EdgeLineVertex = R"(
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;

flat out vec4 v_color; // both vertices of a line have its edge's colour

void main()
{
    v_color = a_color;
    gl_Position = u_viewProjection * vec4(a_position, 1.0);
}
)";

inline constexpr const char* EdgeFragment = R"(
flat in vec4 v_color;
out vec4 fragColor;
void main()
{
    fragColor = v_color;
}
)";

/// An outline ring around a sphere's silhouette: a camera-facing square covering the
/// sphere grown by the ring's outer edge (rings are u_ringWidth pixels wide, ring k
/// starts k widths out), at the depth of the sphere's nearest point.
inline constexpr const char* RingVertex = R"(
uniform float u_ringWidth;

layout(location = 0) in vec3 a_center;
layout(location = 1) in float a_radius;
layout(location = 2) in vec4 a_color;
layout(location = 3) in float a_ring;

out vec3 v_eyePos;
flat out vec3 v_center;
flat out float v_radius;
flat out vec4 v_color;
flat out float v_pixelsPerUnit;
flat out float v_inner;
flat out float v_depth;

const vec2 corners[4] = vec2[4](vec2(-1.0, -1.0), vec2(1.0, -1.0), vec2(-1.0, 1.0), vec2(1.0, 1.0));

void main()
{
    vec3 c = (u_view * vec4(a_center, 1.0)).xyz;
    float d = length(c);
    // Pixels per world unit across the view at the centre's distance.
    float pixelsPerUnit = 0.5 * u_viewport.y * u_projection[1][1] / (isOrthographic() ? 1.0 : max(d, 1e-30));
    float outer = a_radius + ((a_ring + 1.0) * u_ringWidth + 1.0) / pixelsPerUnit;
    vec3 axis;
    float halfSide;
    vec3 front;
    if (isOrthographic()) {
        axis = vec3(0.0, 0.0, -1.0);
        halfSide = outer;
        front = c + vec3(0.0, 0.0, a_radius);
    } else {
        axis = c / max(d, 1e-30);
        halfSide = d > outer * 1.0001 ? outer * d / sqrt(d * d - outer * outer) : 0.0;
        front = c - axis * a_radius;
    }
    vec3 helper = abs(axis.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 right = normalize(cross(axis, helper));
    vec3 up = cross(right, axis);
    vec2 k = corners[gl_VertexID];
    vec3 p = c + halfSide * (k.x * right + k.y * up);
    v_eyePos = p;
    v_center = c;
    v_radius = a_radius;
    v_color = a_color;
    v_pixelsPerUnit = pixelsPerUnit;
    v_inner = a_ring * u_ringWidth;
    vec4 clipFront = u_projection * vec4(front, 1.0);
    v_depth = clamp(0.5 * clipFront.z / clipFront.w + 0.5, 0.0, 1.0);
    gl_Position = halfSide > 0.0 ? u_projection * vec4(p, 1.0) : vec4(2.0, 2.0, 2.0, 1.0);
}
)";

/// Keeps the fragments whose eye ray passes the sphere between the ring's inner and outer
/// edge (the ray's distance from the centre, in pixels past the silhouette).
inline constexpr const char* RingFragment = R"(
uniform float u_ringWidth;

in vec3 v_eyePos;
flat in vec3 v_center;
flat in float v_radius;
flat in vec4 v_color;
flat in float v_pixelsPerUnit;
flat in float v_inner;
flat in float v_depth;

out vec4 fragColor;

void main()
{
    vec3 ro = isOrthographic() ? vec3(v_eyePos.xy, 0.0) : vec3(0.0);
    vec3 rd = isOrthographic() ? vec3(0.0, 0.0, -1.0) : normalize(v_eyePos);
    vec3 oc = ro - v_center;
    vec3 h = oc - dot(oc, rd) * rd;
    float pixels = (length(h) - v_radius) * v_pixelsPerUnit - v_inner;
    if (pixels < 0.0 || pixels > u_ringWidth)
        discard;
    fragColor = vec4(v_color.rgb, 1.0);
    gl_FragDepth = v_depth;
}
)";

} // namespace constellate::render::shaders
