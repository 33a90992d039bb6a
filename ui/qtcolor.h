#pragma once

#include "types.h"

#include <QColor>

namespace constellate::ui {

/// The document's 0xRRGGBBAA as a QColor, alpha included.
inline QColor toQColor(Rgba c)
{
    return QColor(int(c >> 24), int((c >> 16) & 0xff), int((c >> 8) & 0xff), int(c & 0xff));
}

/// A QColor as the document's 0xRRGGBBAA, alpha included.
inline Rgba fromQColor(const QColor& c)
{
    return (Rgba(c.red()) << 24) | (Rgba(c.green()) << 16) | (Rgba(c.blue()) << 8) | Rgba(c.alpha());
}

} // namespace constellate::ui
