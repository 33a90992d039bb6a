#!/usr/bin/env python3
"""Writes resources/icons/constellate.ico, the Windows icon, from resources/icons/constellate.svg.

Each size is rendered by rsvg-convert (Debian: librsvg2-bin) and stored as PNG inside the
.ico, which Windows Vista and later read. The .ico is committed because Windows builds have
no rsvg-convert; run this again after changing the SVG:

    python3 packaging/windows/make-ico.py
"""
import pathlib
import struct
import subprocess
import sys
import tempfile

SIZES = (16, 20, 24, 32, 40, 48, 64, 256)
ROOT = pathlib.Path(__file__).resolve().parents[2]
SVG = ROOT / "resources" / "icons" / "constellate.svg"
ICO = ROOT / "resources" / "icons" / "constellate.ico"


def render(size: int, directory: pathlib.Path) -> bytes:
    png = directory / f"{size}.png"
    subprocess.run(["rsvg-convert", "--width", str(size), "--height", str(size), "--output", str(png), str(SVG)],
                   check=True)
    return png.read_bytes()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        images = [(size, render(size, pathlib.Path(tmp))) for size in SIZES]
    # ICONDIR, then one ICONDIRENTRY per image (a width or height of 256 is written as 0),
    # then the images.
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, data = b"", b""
    for size, png in images:
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    ICO.write_bytes(header + entries + data)
    print(f"wrote {ICO.relative_to(ROOT)}: {', '.join(str(s) for s in SIZES)} px, {ICO.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
