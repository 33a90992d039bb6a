#!/usr/bin/env bash
# Compiles the Windows installer's NSIS script on Linux, with makensis (Debian: nsis), from
# packaging/windows/nsis.cmake and a stand-in for the programs: it proves that CPack accepts
# the settings and that makensis compiles what they make (the Start menu entry, the
# .constellate association, the uninstaller). It does not build Constellate for Windows and
# the installer it makes installs a stand-in; packaging/README.md, "Windows", says the rest.
#
#   packaging/windows/check-nsis.sh     prints the registry lines of the script it compiled
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v makensis >/dev/null 2>&1 || { echo "check-nsis: makensis is missing (apt-get install nsis)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.24)
project(Constellate VERSION $(sed -n 's/^ *VERSION \([0-9.]*\)$/\1/p' "$ROOT/CMakeLists.txt" | head -n1) LANGUAGES NONE)
set(PROJECT_SOURCE_DIR "$ROOT")
set(_windows "$ROOT/packaging/windows")
file(WRITE "\${CMAKE_BINARY_DIR}/constellate.exe" "a stand-in")
install(PROGRAMS "\${CMAKE_BINARY_DIR}/constellate.exe" DESTINATION bin)
include("\${_windows}/nsis.cmake")
set(CPACK_VERBATIM_VARIABLES ON)
set(CPACK_PACKAGE_VENDOR "The Constellate developers")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Constellate")
include(CPack)
CMAKE
cmake -S "$work" -B "$work/build" >/dev/null
(cd "$work/build" && cpack -G NSIS >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; exit 1; }
installer=$(find "$work/build" -maxdepth 1 -name '*.exe' ! -name constellate.exe -print -quit)
[[ -n $installer ]] || { cat "$work/cpack.log" >&2; echo "check-nsis: no installer made" >&2; exit 1; }
grep -hE 'RegStr|DeleteRegKey|CreateShortCut' "$work"/build/_CPack_Packages/*/NSIS/project.nsi | grep -i constellate
echo "check-nsis: makensis compiled $(basename "$installer") ($(stat -c %s "$installer") bytes)"
