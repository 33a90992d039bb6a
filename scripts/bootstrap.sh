#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that Constellate's build, tests and benchmarks need.
#
#   scripts/bootstrap.sh          install whatever is missing (nothing when all is there)
#   scripts/bootstrap.sh --list   print the package list and exit
#
# Supported: Debian 12 (bookworm) and later, Ubuntu 24.04 and later. Older releases lack
# CMake 3.24 or Qt 6.4; on other apt-based systems it warns and tries anyway.
# Idempotent and non-interactive: it asks dpkg what is installed, runs `apt-get update` and
# `apt-get install` only when something is missing, and never prompts (CI runs it with
# CI=true and no terminal). Uses sudo when not run as root.
set -euo pipefail

readonly MIN_CMAKE=3.24
readonly MIN_QT=6.4

# One entry per line; "a|b" means "the first of a, b that the archive has" (names differ
# between releases). An entry counts as present when any of its alternatives is installed.
PACKAGE_GROUPS=(
    "# Toolchain and build system"
    "g++"
    "cmake"
    "ninja-build"
    "pkg-config"

    "# Qt 6: Core/Gui/Widgets/OpenGL(Widgets)/Sql/Network (qt6-base-dev), WebSockets, SQLite driver"
    "qt6-base-dev"
    "qt6-websockets-dev"
    "libqt6sql6-sqlite"
    # Qt6OpenGL's CMake package: its own -dev package on Debian 12; later releases ship it
    # inside qt6-base-dev (Qt6OpenGLWidgets is in qt6-base-dev everywhere).
    "libqt6opengl6-dev|qt6-base-dev"

    "# zlib's header: net/ compresses large snapshots on several threads (the zlib Qt links)"
    "zlib1g-dev"

    "# Rendering and VR: OpenGL headers, GLM maths, OpenXR loader and validation layer"
    "libgl-dev"
    "libglm-dev"
    "libopenxr-dev"
    "openxr-layer-corevalidation"

    "# Tests and benchmarks: GoogleTest/GoogleMock, Google Benchmark"
    "libgtest-dev"
    "libgmock-dev"
    "libbenchmark-dev"

    "# Headless runs of tests that open windows: virtual X server and software GL"
    "xvfb"
    "xauth"
    "libgl1-mesa-dri"

    "# Benchmark input generation: networkx graph generators; its layouts need numpy and,"
    "# on large graphs, scipy (Recommends of python3-networkx, which we do not install)"
    "python3"
    "python3-networkx"
    "python3-numpy"
    "python3-scipy"

    "# Fuzzing: clang with libFuzzer (compiler-rt); clang-14 where the release has it"
    "clang-14|clang"
    "libclang-rt-14-dev|libclang-rt-dev"

    "# Peak-memory measurements in benchmarks (GNU /usr/bin/time)"
    "time"

    "# Packages: PNG icons from the SVG, dpkg-shlibdeps, and what scripts/package-check.sh"
    "# checks them with (lintian, validators, the MIME database, man, gio, systemd-analyze)"
    "librsvg2-bin"
    "dpkg-dev"
    "lintian"
    "file"
    "curl"
    "appstream"
    "desktop-file-utils"
    "shared-mime-info"
    "libglib2.0-bin"
    "man-db"
    "bsdextrautils"
    "adduser"
    "systemd"

    "# LAN discovery tests: network namespaces and a veth pair of their own (ip)"
    "iproute2"
)

say() { printf 'bootstrap: %s\n' "$*"; }
warn() { printf 'bootstrap: warning: %s\n' "$*" >&2; }
die() {
    printf 'bootstrap: error: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0"
}

# Groups are separated by a blank line and headed by their comment lines.
list_packages() {
    local line previous=""
    for line in "${PACKAGE_GROUPS[@]}"; do
        if [[ $line == "#"* && -n $previous && $previous != "#"* ]]; then
            printf '\n'
        fi
        printf '%s\n' "$line"
        previous=$line
    done
}

case "${1:-}" in
    --list)
        list_packages
        exit 0
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    "") ;;
    *)
        usage >&2
        die "unknown option: $1"
        ;;
esac

# --- The system ---------------------------------------------------------------------------

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    die "this script needs apt-get and dpkg (Debian 12+ or Ubuntu 24.04+). On another system install the equivalents of: $(list_packages | grep -v -e '^#' -e '^$' | tr '\n' ' ')"
fi

check_distribution() {
    local id="" version_id="" pretty=""
    if [[ -r /etc/os-release ]]; then
        # shellcheck disable=SC1091
        id=$(. /etc/os-release && printf '%s' "${ID:-}")
        # shellcheck disable=SC1091
        version_id=$(. /etc/os-release && printf '%s' "${VERSION_ID:-}")
        # shellcheck disable=SC1091
        pretty=$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-$id $version_id}")
    fi
    local why="older releases lack CMake ${MIN_CMAKE} or Qt ${MIN_QT}"
    case "$id" in
        debian)
            # testing/sid have no VERSION_ID: they are newer than any release.
            if [[ -z $version_id ]] || dpkg --compare-versions "$version_id" ge 12; then
                say "system: $pretty (supported)"
                return
            fi
            ;;
        ubuntu)
            if [[ -n $version_id ]] && dpkg --compare-versions "$version_id" ge 24.04; then
                say "system: $pretty (supported)"
                return
            fi
            ;;
    esac
    warn "${pretty:-an unknown system} is not supported (supported: Debian 12 and later, Ubuntu 24.04 and later; $why). Trying anyway."
}
check_distribution

SUDO=()
as_root() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"
}
# Called only when something has to be installed: a complete system needs no root at all.
need_root() {
    [[ $(id -u) -ne 0 ]] || return 0
    command -v sudo >/dev/null 2>&1 \
        || die "not running as root and sudo is not installed: run this script as root to install: $*"
    if [[ -t 0 ]]; then
        SUDO=(sudo)
    else
        SUDO=(sudo -n) # no terminal to type a password into: fail instead of hanging
    fi
    say "not running as root: using '${SUDO[*]}' for apt-get"
}

# --- What is missing ------------------------------------------------------------------------

is_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == "ii"* ]]
}

# True when the archive (as apt currently knows it) offers the package.
is_available() {
    local candidate
    candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/^  Candidate:/ { print $2; exit }')
    [[ -n $candidate && $candidate != "(none)" ]]
}

missing=() # entries none of whose alternatives is installed
for line in "${PACKAGE_GROUPS[@]}"; do
    [[ $line == "#"* ]] && continue
    IFS='|' read -ra alternatives <<<"$line"
    present=""
    for pkg in "${alternatives[@]}"; do
        if is_installed "$pkg"; then
            present=$pkg
            break
        fi
    done
    [[ -n $present ]] || missing+=("$line")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    say "all packages are installed; nothing to do"
else
    say "missing: ${missing[*]}"
    need_root "${missing[@]}"
    apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

    say "running apt-get update"
    as_root apt-get "${apt_opts[@]}" update || die "apt-get update failed"

    to_install=()
    unavailable=()
    for line in "${missing[@]}"; do
        IFS='|' read -ra alternatives <<<"$line"
        chosen=""
        for pkg in "${alternatives[@]}"; do
            if is_available "$pkg"; then
                chosen=$pkg
                break
            fi
        done
        if [[ -n $chosen ]]; then
            to_install+=("$chosen")
            if [[ ${#alternatives[@]} -gt 1 ]]; then
                say "for '$line' choosing $chosen"
            fi
        else
            unavailable+=("$line")
        fi
    done
    if [[ ${#unavailable[@]} -gt 0 ]]; then
        hint=""
        if grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then
            hint=" (on Ubuntu several of these are in 'universe': sudo add-apt-repository universe)"
        fi
        die "no installable package for: ${unavailable[*]}$hint"
    fi

    say "installing: ${to_install[*]}"
    as_root apt-get "${apt_opts[@]}" install --no-install-recommends "${to_install[@]}" \
        || die "apt-get install failed for: ${to_install[*]}"
    say "installed: ${to_install[*]}"
fi

# --- Versions the build requires ------------------------------------------------------------

command -v cmake >/dev/null 2>&1 || die "cmake is not on PATH after installing"
cmake_version=$(cmake --version | awk 'NR == 1 { print $3 }')
dpkg --compare-versions "$cmake_version" ge "$MIN_CMAKE" \
    || die "CMake $cmake_version is too old: Constellate needs CMake ${MIN_CMAKE} or later (Debian 12+, Ubuntu 24.04+; elsewhere install a newer CMake first, e.g. from Kitware's apt repository)"

qt_version=$(dpkg-query -W -f='${Version}' qt6-base-dev 2>/dev/null | sed 's/^[0-9]*://; s/[+~-].*//')
if [[ -n $qt_version ]] && ! dpkg --compare-versions "$qt_version" ge "$MIN_QT"; then
    die "Qt $qt_version is too old: Constellate needs Qt ${MIN_QT} or later (Debian 12+, Ubuntu 24.04+)"
fi
say "ready: CMake $cmake_version, Qt ${qt_version:-?}, $(g++ --version | head -n1)"
