#!/usr/bin/env bash
# Quick start command 1: installs what is missing, builds (build/, RelWithDebInfo) and
# launches the editor in host mode on the bundled sample graph.
#
#   scripts/start.sh [ARGS...]    ARGS are passed on to the program it launches
#
# Until the 3D editor lands (#5) it launches what exists: constellate-cli on the sample.
# CONSTELLATE_JOBS=N limits build parallelism (never above nproc).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BUILD="$ROOT/build"
readonly SAMPLE="resources/samples/lesmis.gexf"

# What Quick start launches: a program in build/app/ and its arguments (paths relative to
# the repository root). When the editor lands (#5) this becomes:
#   LAUNCH=(constellate --host "$SAMPLE")
LAUNCH=(constellate-cli info "$SAMPLE")

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

say "running: build/app/$program ${LAUNCH[*]:1} $*"
status=0
"$binary" "${LAUNCH[@]:1}" "$@" || status=$?

if [[ $program == constellate-cli ]]; then
    cat <<EOF

  That was constellate-cli, the command-line tool. The 3D editor and host mode arrive
  with #5; until then, try:
    build/app/constellate-cli info FILE        what a graph file holds
    build/app/constellate-cli convert IN OUT   convert a graph between file formats
EOF
fi
exit "$status"
