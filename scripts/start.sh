#!/usr/bin/env bash
# Quick start command 1: installs what is missing, builds (build/, RelWithDebInfo) and
# launches the editor in host mode on the bundled sample graph.
#
#   scripts/start.sh [ARGS...]    ARGS are passed on to the program it launches
#
# The editor hosts the sample as the room "lesmis" (the server runs inside it, port 7878):
# others join ws://THIS-MACHINE:7878/rooms/lesmis (Session > Join, or
# build/app/constellate --join URL). CONSTELLATE_JOBS=N limits build parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BUILD="$ROOT/build"
readonly SAMPLE="resources/samples/lesmis.gexf"

# What Quick start launches: a program in build/app/ and its arguments (paths relative to
# the repository root).
LAUNCH=(constellate --host "$SAMPLE")

say() { printf 'start: %s\n' "$*"; }
die() {
    printf 'start: error: %s\n' "$*" >&2
    exit 1
}

cores=$(nproc)
jobs=${CONSTELLATE_JOBS:-$cores}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]] || ((jobs > cores)); then
    jobs=$cores
fi

say "installing what is missing"
bash "$ROOT/scripts/bootstrap.sh" || die "bootstrap failed"

say "configuring and building $BUILD (RelWithDebInfo, Ninja, $jobs jobs)"
fresh=()
if [[ -f $BUILD/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD/CMakeCache.txt"; then
    fresh=(--fresh) # made with another generator: start afresh
fi
launcher=()
if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${fresh[@]}" -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    || die "configure failed"

program=${LAUNCH[0]}
# Build just what is launched when the project knows that target, everything otherwise.
if cmake --build "$BUILD" --target help | grep -q "^${program}:"; then
    cmake --build "$BUILD" -j "$jobs" --target "$program" || die "build of $program failed"
else
    cmake --build "$BUILD" -j "$jobs" || die "build failed"
fi

binary="$BUILD/app/$program"
[[ -x $binary ]] || die "$binary was not built: app/ does not define '$program' yet"
cd "$ROOT"
[[ -e $SAMPLE ]] || die "the sample graph $SAMPLE is missing"

if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
    die "no display: run this on a desktop session (or try it headless with: xvfb-run -a scripts/start.sh)"
fi
say "running: build/app/$program ${LAUNCH[*]:1} $*"
exec "$binary" "${LAUNCH[@]:1}" "$@"
