#pragma once

// GLSL 3.30 core sources of the label program (compiled after shaders::ViewBlock, like the
// others); the instance layout it reads is GlyphInstance (labellayout.h), bound in
// labelrenderer.cpp.

namespace constellate::render::shaders {

/// A screen-aligned quad per glyph: the anchor is projected, snapped to the pixel grid so
/// that text stays crisp, and the glyph's quad is laid out from there in pixels.
inline constexpr const char* GlyphVertex = R"(
layout(location = 0) in vec3 a_anchor;
layout(location = 1) in vec2 a_offset;    // pixels, y down, to the quad's top-left corner
layout(location = 2) in vec2 a_size;      // pixels
layout(location = 3) in vec4 a_atlasRect; // texels: x, y, width, height
layout(location = 4) in vec4 a_color;
layout(location = 5) in uint a_flags;

uniform sampler2D u_atlas;
uniform float u_haloPixels;
uniform float u_spread; // atlas texels the distance field reaches each side of an edge

out vec2 v_uv;
flat out vec4 v_color;
flat out float v_haloEdge;

const vec2 corners[4] = vec2[4](vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0), vec2(1.0, 1.0));

void main()
{
    vec4 clip = u_viewProjection * vec4(a_anchor, 1.0);
    if (clip.w <= 0.0) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0); // behind the eye: outside the clip volume
        return;
    }
    vec2 halfViewport = 0.5 * u_viewport.xy;
    vec2 pixel = floor(clip.xy / clip.w * halfViewport + halfViewport + 0.5) - halfViewport;
    vec2 k = corners[gl_VertexID];
    vec2 p = pixel + vec2(a_offset.x + k.x * a_size.x, -(a_offset.y + k.y * a_size.y));
    // Bit 0: over everything (nameplates): at the near plane, which LEQUAL always passes.
    float z = (a_flags & 1u) != 0u ? -0.9999 * clip.w : clip.z;
    gl_Position = vec4(p / halfViewport * clip.w, z, clip.w);
    v_uv = (a_atlasRect.xy + k * a_atlasRect.zw) / vec2(textureSize(u_atlas, 0));
    v_color = a_color;
    // The halo's width in distance-field units: pixels -> texels -> fraction of the field.
    float texelsPerPixel = a_atlasRect.z / max(a_size.x, 1e-3);
    v_haloEdge = 0.5 - min(u_haloPixels * texelsPerPixel / (2.0 * u_spread), 0.45);
}
)";

/// Text over its halo, both edges smoothed over one pixel with fwidth; premultiplied out.
inline constexpr const char* GlyphFragment = R"(
uniform sampler2D u_atlas;
uniform vec4 u_haloColor;

in vec2 v_uv;
flat in vec4 v_color;
flat in float v_haloEdge;

out vec4 fragColor;

void main()
{
    float d = texture(u_atlas, v_uv).r;
    float aa = max(0.5 * fwidth(d), 1e-4);
    float text = smoothstep(0.5 - aa, 0.5 + aa, d);
    float halo = smoothstep(v_haloEdge - aa, v_haloEdge + aa, d);
    float textAlpha = text * v_color.a;
    float haloAlpha = (1.0 - textAlpha) * halo * u_haloColor.a;
    float alpha = textAlpha + haloAlpha;
    if (alpha < 1.0 / 255.0)
        discard;
    fragColor = vec4(v_color.rgb * textAlpha + u_haloColor.rgb * haloAlpha, alpha);
}
)";

} // namespace constellate::render::shaders
