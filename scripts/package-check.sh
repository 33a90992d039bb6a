#!/usr/bin/env bash
# Builds Constellate's .deb packages (and the .tar.gz) from a release build directory and
# checks them as a user meets them:
#   1. cpack (stripped programs, Depends from dpkg-shlibdeps) into a temporary directory;
#      the server and CLI packages must not pull in Qt Widgets, Qt GUI, OpenGL or OpenXR
#   2. lintian (no errors, no warnings), desktop-file-validate, appstreamcli, man pages
#      (groff warnings; every option in a program's --help is in its man page and back)
#   3. apt-get install of the three packages; constellate-server --version, constellate
#      --version without a display, constellate-cli info on tests/data/graphs/lesmis.gexf;
#      the systemd unit verified, and its ExecStart line run as the user constellate on a
#      free loopback port with a temporary data directory: /healthz must answer "ok"
#   4. MIME type (glob and magic bytes) and desktop entry known to the installed system
#   5. purge; nothing of the packages' `dpkg -L` lists may be left, nor the service's
#      enablement, its conffile or its user
#   6. the server package alone (a headless host) with a data directory in
#      /var/lib/constellate: after purge the data and the user that owns it stay
#
#   scripts/package-check.sh [BUILD_DIR]   default BUILD_DIR: build/ (scripts/test.sh makes it)
#   scripts/package-check.sh --help
#
# Needs root for apt-get and dpkg (uses sudo otherwise), and refuses to run when any
# Constellate package, the user constellate or /var/lib/constellate is already there.
# Leaves the machine as it found it, also when a check fails: the packages, whatever
# apt-get installed for them, the user and the data directory are removed on exit (and by
# the next run, if this one was killed).
# Its last line is "package-check: N checks passed (S s)" or a FAILED line; exit status 0 or 1.
set -euo pipefail
# One locale for sort and comm, and a UTF-8 one for Qt (which warns about any other).
export LC_ALL=C.UTF-8

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly PACKAGES=(constellate constellate-server constellate-cli)
readonly SERVICE=constellate-server.service
readonly SERVICE_USER=constellate
readonly STATE_DIR=/var/lib/constellate
# What was installed before a run, kept until the run has cleaned up: a run that was killed
# (SIGKILL, a lost machine) leaves it, and the next run undoes what that one did.
readonly RECORD=/var/tmp/constellate-package-check.packages-before
# One run at a time; its children (apt-get) hold the lock too, even if the run was killed.
readonly LOCK=/var/tmp/constellate-package-check.lock
readonly GRAPH=$ROOT/tests/data/graphs/lesmis.gexf
readonly NATIVE_FILE=$ROOT/tests/data/native/lesmis-snapshot-v1.constellate
# Libraries a headless host must not need: GUI, OpenGL and OpenXR.
readonly GUI_PACKAGES='^(libqt6gui6|libqt6widgets6|libqt6opengl6|libqt6openglwidgets6|libgl1|libopengl0|libglx0|libegl1|libopenxr-loader1|libx11-6|libxcb1|libwayland-client0)(:.*)?$'

build_dir=$ROOT/build
for arg in "$@"; do
    case "$arg" in
        -h | --help)
            sed -n '2,26s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        -*)
            printf 'package-check: unknown option: %s (try --help)\n' "$arg" >&2
            exit 2
            ;;
        *) build_dir=$(cd "$arg" && pwd) ;;
    esac
done

start=$SECONDS
checks=0
say() { printf 'package-check: %s\n' "$*"; }
ok() {
    checks=$((checks + 1))
    printf 'package-check: ok: %s\n' "$*"
}
fail() {
    printf 'package-check: FAILED: %s\n' "$*" >&2
    exit 1
}
step() { printf '\n==> package-check: %s (at %ds)\n' "$*" "$((SECONDS - start))"; }

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: run it as root"
    if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
fi
as_root() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }
readonly APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 --no-install-recommends)

# --- Preconditions: tools, a built tree, and a machine without Constellate on it -------------

for tool in cpack dpkg-deb dpkg-shlibdeps lintian desktop-file-validate appstreamcli curl file \
    man col gzip apt-get apt-cache runuser setpriv flock systemd-analyze gio; do
    command -v "$tool" >/dev/null 2>&1 \
        || fail "$tool is missing (scripts/bootstrap.sh installs what this script needs)"
done
[[ -f $build_dir/CPackConfig.cmake ]] \
    || fail "$build_dir has no CPackConfig.cmake: configure and build it first (scripts/test.sh, or cmake -S . -B build)"
[[ -f $GRAPH && -f $NATIVE_FILE ]] || fail "test data missing: $GRAPH, $NATIVE_FILE"

# Installed and configured ("ii"), or present in any way (config files left, half installed).
installed() { [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]; }
present_packages() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 != "un" && $1 != "pn" { print $2 }' | sort -u
}
# Puts the machine back as the list of packages in $1 says it was: purges the packages
# installed since (ours and what apt-get installed for them), removes the service's user and
# data directory, which the machine did not have either. Non-zero if any of that failed.
restore() {
    local before=$1 status=0 added=()
    mapfile -t added < <(present_packages | comm -13 "$before" -)
    if [[ ${#added[@]} -gt 0 ]]; then
        say "cleanup: purging ${added[*]}"
        as_root apt-get "${APT_OPTS[@]}" purge "${added[@]}" >/tmp/constellate-package-check-purge.log 2>&1 \
            || { cat /tmp/constellate-package-check-purge.log >&2; status=1; }
        rm -f /tmp/constellate-package-check-purge.log
    fi
    # Purge leaves these while data is there (by design); this machine had neither before.
    if getent passwd "$SERVICE_USER" >/dev/null; then
        as_root deluser --system --quiet "$SERVICE_USER" >/dev/null 2>&1 || status=1
    fi
    if [[ -e $STATE_DIR ]]; then
        as_root rm -rf "$STATE_DIR" || status=1
    fi
    return "$status"
}
exec 9>>"$LOCK" || fail "cannot open $LOCK"
flock -n 9 || fail "another package-check (or an apt-get it started) is running: try again when it has finished"
if [[ -f $RECORD ]]; then
    say "an earlier run was interrupted before it cleaned up ($RECORD): undoing what it did"
    restore "$RECORD" || fail "could not undo what the interrupted run did"
    stale=$(sed -n '1s/^# //p' "$RECORD")
    [[ $stale == /tmp/constellate-package-check.* ]] && as_root rm -rf "$stale"
    as_root rm -f "$RECORD"
fi

present_now=$(present_packages)
for p in "${PACKAGES[@]}"; do
    if grep -qx -- "$p" <<<"$present_now"; then
        fail "$p is installed on this machine: remove it first (apt-get purge $p); this check installs and removes the packages itself"
    fi
done
getent passwd "$SERVICE_USER" >/dev/null && fail "the user $SERVICE_USER exists: this machine runs Constellate's service or has its remains; check on another machine"
[[ -e $STATE_DIR ]] && fail "$STATE_DIR exists: this machine has Constellate's rooms; check on another machine"

work=$(mktemp -d /tmp/constellate-package-check.XXXXXX)
chmod 0755 "$work" # the service user reads the graph copied here and writes its data dir
server_pid=""
# Its first line names this run's directory ('#' sorts before any package name).
{ printf '# %s\n' "$work"; present_packages; } | as_root tee "$RECORD" >/dev/null

# Runs on every exit: the machine as it was found.
cleanup() {
    local status=$?
    set +e
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    local restored="the machine was put back as it was"
    if restore "$RECORD"; then
        as_root rm -f "$RECORD"
    else
        status=1
        restored="the machine could NOT be put back as it was (see above; the next run tries again)"
    fi
    as_root rm -rf "$work"
    if [[ $status -eq 0 ]]; then
        say "$checks checks passed ($((SECONDS - start)) s)"
    else
        say "FAILED after $checks checks ($((SECONDS - start)) s); $restored"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. The packages ---------------------------------------------------------------------------

step "cpack (DEB, TGZ) from $build_dir"
# cpack builds the project first (its preinstall step); with tests and benchmarks in the
# build directory that is whatever is not built yet.
cpack --config "$build_dir/CPackConfig.cmake" -G "DEB;TGZ" -B "$work/out" >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log" >&2; fail "cpack"; }
declare -A deb
for p in "${PACKAGES[@]}"; do
    deb[$p]=$(find "$work/out" -maxdepth 1 -name "${p}_*.deb" -print -quit)
    [[ -n ${deb[$p]} ]] || fail "cpack made no package $p (see $work/out)"
done
tarball=$(find "$work/out" -maxdepth 1 -name 'constellate-*.tar.gz' -print -quit)
[[ -n $tarball ]] || fail "cpack made no .tar.gz"
version=$(dpkg-deb -f "${deb[constellate]}" Version)
ok "built ${PACKAGES[*]} $version and $(basename "$tarball")"

for p in "${PACKAGES[@]}"; do
    mkdir -p "$work/tree/$p"
    dpkg-deb -x "${deb[$p]}" "$work/tree/$p"
    program=$work/tree/$p/usr/bin/$p
    [[ -x $program ]] || fail "$p does not install /usr/bin/$p"
    [[ $(file "$program") == *", stripped"* ]] || fail "/usr/bin/$p in $p is not stripped: $(file "$program")"
    depends=$(dpkg-deb -f "${deb[$p]}" Depends)
    [[ $depends == *libqt6core6* ]] || fail "$p's Depends lack the Qt libraries it links (dpkg-shlibdeps did not run?): $depends"
done
ok "each package holds its stripped program; Depends computed: $(dpkg-deb -f "${deb[constellate]}" Depends | tr -d '\n' | cut -c1-80)..."

# A headless host: neither the server's nor the CLI's dependencies, followed all the way
# down, may reach the GUI, OpenGL or OpenXR.
for p in constellate-server constellate-cli; do
    direct=$(dpkg-deb -f "${deb[$p]}" Depends | tr ',|' '\n' | sed -E 's/\(.*\)//; s/^ +//; s/ +$//' | grep -v '^$' | sort -u)
    # shellcheck disable=SC2086 # one package name a word
    closure=$( (apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $direct 2>/dev/null || true) | sed -n 's/^<\{0,1\}\([^ <>]*\)>\{0,1\}$/\1/p' | sort -u)
    [[ -n $closure ]] || fail "apt-cache depends gave nothing for $p's Depends (apt-get update?)"
    gui=$(grep -E "$GUI_PACKAGES" <<<"$closure" || true)
    [[ -z $gui ]] || fail "$p would pull in GUI/GL/XR packages: $(tr '\n' ' ' <<<"$gui")"
done
grep -qE '^libqt6widgets6' <<<"$(dpkg-deb -f "${deb[constellate]}" Depends | tr ',' '\n' | sed 's/^ //')" \
    || fail "the editor's Depends lack Qt Widgets: $(dpkg-deb -f "${deb[constellate]}" Depends)"
ok "constellate-server and constellate-cli need no Qt GUI/Widgets, OpenGL or OpenXR (whole dependency closure)"

tar -tzf "$tarball" >"$work/tarball.txt"
top=$(head -n1 "$work/tarball.txt" | cut -d/ -f1)
for p in "${PACKAGES[@]}"; do
    grep -qx "$top/bin/$p" "$work/tarball.txt" || fail "$(basename "$tarball") lacks bin/$p"
done
if grep -E "^$top/(etc|lib)/" "$work/tarball.txt"; then
    fail "$(basename "$tarball") holds the .deb's service files (etc/, lib/systemd), which fit only prefix /usr"
fi
ok "$(basename "$tarball"): bin/ and share/ under $top/, no service files"

# --- 2. Static checks --------------------------------------------------------------------------

step "lintian, desktop entry, AppStream, man pages"
# lintian says that running as root is not recommended; it reads the packages only.
if ! lintian --fail-on error,warning --display-info "${deb[@]}" >"$work/lintian.txt" 2>&1; then
    cat "$work/lintian.txt" >&2
    fail "lintian found errors or warnings"
fi
grep -E '^[EWIP]: ' "$work/lintian.txt" | sed 's/^/    /' || true
ok "lintian: no errors, no warnings ($(grep -c '^I: ' "$work/lintian.txt" || true) informational tags, listed above)"

editor_tree=$work/tree/constellate
desktop-file-validate "$editor_tree/usr/share/applications/constellate.desktop" >"$work/desktop.txt" 2>&1 \
    || { cat "$work/desktop.txt" >&2; fail "desktop-file-validate"; }
ok "desktop-file-validate constellate.desktop"
# The id is the desktop file's name, not a reverse domain name: the project has no domain
# yet (packaging/README.md); everything else must pass.
appstreamcli validate --no-net --pedantic --override=cid-desktopapp-is-not-rdns=info \
    "$editor_tree/usr/share/metainfo/constellate.metainfo.xml" >"$work/appstream.txt" 2>&1 \
    || { cat "$work/appstream.txt" >&2; fail "appstreamcli validate constellate.metainfo.xml"; }
ok "appstreamcli validate --pedantic constellate.metainfo.xml"

# Renders a man page as plain text, and fails on groff's warnings.
man_text() {
    local page=$1 warnings
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) || true
    [[ -z $warnings ]] || fail "$(basename "$page"): $warnings"
    LC_ALL=C.UTF-8 MANWIDTH=200 man -E UTF-8 -l "$page" 2>/dev/null | col -b
}
# The --options a text names, and the commands a help text lists ("  info FILE  ...").
options_in() { grep -oE -- '(^|[^a-z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
for p in "${PACKAGES[@]}"; do
    page=$work/tree/$p/usr/share/man/man1/$p.1.gz
    [[ -f $page ]] || fail "$p has no man page /usr/share/man/man1/$p.1.gz"
    man_text "$page" >"$work/$p.man.txt"
    if [[ $p == constellate-cli ]]; then
        "$work/tree/$p/usr/bin/$p" help >"$work/$p.help.txt"
    else
        "$work/tree/$p/usr/bin/$p" --help >"$work/$p.help.txt"
    fi
    missing=$(comm -23 <(options_in <"$work/$p.help.txt") <(options_in <"$work/$p.man.txt"))
    [[ -z $missing ]] || fail "$p.1 lacks options its --help lists: $(tr '\n' ' ' <<<"$missing")"
    extra=$(comm -13 <(options_in <"$work/$p.help.txt") <(options_in <"$work/$p.man.txt"))
    [[ -z $extra ]] || fail "$p.1 names options its --help does not: $(tr '\n' ' ' <<<"$extra")"
    # Commands: constellate-cli's ("  info FILE", "  watch") and constellate-server's rooms.
    commands=$(grep -oE '^  [a-z]+( |$)' "$work/$p.help.txt" | tr -d ' ' | sort -u || true)
    commands+=$'\n'$(grep -oE 'rooms [a-z]+|\| [a-z]+ [A-Z]' "$work/$p.help.txt" | grep -oE '[a-z]+' | sort -u || true)
    for c in $commands; do
        grep -qw -- "$c" "$work/$p.man.txt" || fail "$p.1 does not mention the command '$c' of its --help"
    done
done
ok "man pages: no groff warnings; their options are exactly those of each program's --help, and every command is there"

# --- 3. Installed ------------------------------------------------------------------------------

step "apt-get install ${PACKAGES[*]}"
as_root apt-get "${APT_OPTS[@]}" install "${deb[@]}" >"$work/install.log" 2>&1 \
    || { cat "$work/install.log" >&2; fail "apt-get install"; }
for p in "${PACKAGES[@]}"; do
    installed "$p" || fail "$p is not installed after apt-get install"
    dpkg -L "$p" >"$work/$p.files"
done
ok "apt-get installed the three packages (dependencies resolved by apt)"

[[ $(/usr/bin/constellate-server --version) == "constellate-server $version" ]] \
    || fail "constellate-server --version: $(/usr/bin/constellate-server --version 2>&1)"
ok "constellate-server --version: constellate-server $version"
editor_version=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM /usr/bin/constellate --version 2>&1) \
    || fail "constellate --version without a display: $editor_version"
[[ $editor_version == "constellate $version" ]] || fail "constellate --version: $editor_version"
ok "constellate --version without a display: $editor_version"
cli_info=$(/usr/bin/constellate-cli info "$GRAPH" 2>&1) || fail "constellate-cli info $GRAPH: $cli_info"
grep -qx '77 nodes, 254 edges, undirected' <<<"$cli_info" || fail "constellate-cli info $GRAPH: $cli_info"
ok "constellate-cli info lesmis.gexf: $(sed -n 2p <<<"$cli_info")"

unit=$(grep -m1 -E "/$SERVICE\$" "$work/constellate-server.files" || true)
[[ -n $unit ]] || fail "constellate-server ships no $SERVICE"
systemd-analyze verify "$unit" >"$work/verify.txt" 2>&1 || { cat "$work/verify.txt" >&2; fail "systemd-analyze verify $unit"; }
ok "systemd-analyze verify $unit"
passwd_line=$(getent passwd "$SERVICE_USER") || fail "postinst made no user $SERVICE_USER"
IFS=: read -r _ _ uid _ _ home shell <<<"$passwd_line"
((uid < 1000)) || fail "$SERVICE_USER is not a system user (uid $uid)"
[[ $home == "$STATE_DIR" && $shell == */nologin ]] || fail "$SERVICE_USER: home $home, shell $shell"
[[ -L /etc/systemd/system/multi-user.target.wants/$SERVICE ]] || fail "$SERVICE was not enabled"
if [[ -d /run/systemd/system ]]; then
    say "systemd runs here: the postinst started $SERVICE ($(systemctl is-active "$SERVICE" || true))"
else
    ! command -v pgrep >/dev/null || ! pgrep -u "$SERVICE_USER" >/dev/null || fail "a process of $SERVICE_USER runs, though systemd does not"
fi
ok "user $SERVICE_USER (uid $uid, $shell); $SERVICE enabled$([[ -d /run/systemd/system ]] || printf ', not started: systemd is not running')"

# The unit's ExecStart as systemd would run it: its variables from the installed environment
# file, except the port (0: a free one) and the address (loopback); %S/constellate becomes
# a temporary data directory.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ -n $exec_start ]] || fail "$unit has no ExecStart"
(
    set -a
    # shellcheck disable=SC1091
    . /etc/default/constellate-server
    set +a
    [[ -n $CONSTELLATE_PORT && -n $CONSTELLATE_BIND ]] || exit 1
) || fail "/etc/default/constellate-server does not set CONSTELLATE_PORT and CONSTELLATE_BIND"
options=$(sed -n 's/^CONSTELLATE_OPTIONS=//p' /etc/default/constellate-server)
data_dir=$work/data
as_root install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$data_dir"
command_line=$exec_start
command_line=${command_line//"\${CONSTELLATE_PORT}"/0}
command_line=${command_line//"\${CONSTELLATE_BIND}"/127.0.0.1}
command_line=${command_line//"%S/constellate"/$data_dir}
command_line=${command_line//"\$CONSTELLATE_OPTIONS"/$options}
[[ $command_line != *'$'* && $command_line != *%* ]] || fail "ExecStart has variables this check does not know: $exec_start"
say "running as $SERVICE_USER: $command_line"
# setpriv executes the server in its own place (runuser would stay as its parent and turn
# SIGTERM into its own exit status); the environment is about what systemd gives a service.
# shellcheck disable=SC2086 # the command line splits into words, as systemd splits it
"${SUDO[@]}" setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --init-groups \
    env -i PATH=/usr/bin:/bin HOME="$STATE_DIR" USER="$SERVICE_USER" LOGNAME="$SERVICE_USER" \
    LANG=C.UTF-8 QT_ENABLE_REGEXP_JIT=0 $command_line >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
port=""
for _ in $(seq 1 300); do # up to 30 s for the line that names the port
    port=$(sed -n 's/^constellate-server listening on port \([0-9][0-9]*\)$/\1/p' "$work/server.out")
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $port ]] || fail "the installed server did not start: $(cat "$work/server.err")"
health=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/healthz") || fail "GET /healthz on port $port"
[[ $health == ok ]] || fail "/healthz answered '$health'"
metrics=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/metrics") || fail "GET /metrics on port $port"
grep -q '^# TYPE ' <<<"$metrics" || fail "/metrics is not in Prometheus' text format: $(head -n3 <<<"$metrics")"
ok "the installed server, started by its unit's ExecStart as $SERVICE_USER on 127.0.0.1:$port: /healthz answers ok, /metrics answers"
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
[[ $server_status -eq 0 ]] || fail "the server exited with status $server_status on SIGTERM: $(tail -n3 "$work/server.err")"
ok "SIGTERM stopped it gracefully (exit status 0)"

# --- 4. Desktop integration on the installed system ------------------------------------------

step "MIME type and desktop entry on the installed system"
grep -qx 'application/x-constellate' /usr/share/mime/types \
    || fail "the MIME database does not know application/x-constellate (shared-mime-info's trigger?)"
cp "$NATIVE_FILE" "$work/graph.constellate"
cp "$NATIVE_FILE" "$work/no-extension"
for f in graph.constellate no-extension; do
    type=$(gio info -a standard::content-type "$work/$f" | sed -n 's/^ *standard::content-type: //p')
    [[ $type == application/x-constellate ]] || fail "$f is '$type', not application/x-constellate"
done
ok "a .constellate file is application/x-constellate, by its name and, without one, by its magic bytes"
if [[ -f /usr/share/applications/mimeinfo.cache ]]; then
    grep -q '^application/x-constellate=.*constellate.desktop' /usr/share/applications/mimeinfo.cache \
        || fail "mimeinfo.cache does not give application/x-constellate to constellate.desktop"
    ok "the desktop database opens application/x-constellate with constellate.desktop"
fi
for p in "${PACKAGES[@]}"; do
    man -w "$p" >/dev/null 2>&1 || fail "man cannot find $p(1)"
done
ok "man finds constellate(1), constellate-server(1), constellate-cli(1)"

# --- 5. Purge: nothing left ----------------------------------------------------------------------

step "apt-get purge ${PACKAGES[*]}"
as_root apt-get "${APT_OPTS[@]}" purge "${PACKAGES[@]}" >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log" >&2; fail "apt-get purge"; }
# What the lists named and is still there must be a directory another package owns.
cat "$work"/*.files | sort -u >"$work/all-files"
left=()
owned_by_others=$( (xargs -r -d '\n' dpkg-query -S <"$work/all-files" 2>/dev/null || true) | sed -n 's/^.*: \(\/.*\)$/\1/p' | sort -u)
while IFS= read -r path; do
    [[ -e $path || -L $path ]] || continue
    [[ -d $path && ! -L $path ]] && grep -qxF -- "$path" <<<"$owned_by_others" && continue
    left+=("$path")
done <"$work/all-files"
[[ ${#left[@]} -eq 0 ]] || fail "left behind after purge: ${left[*]}"
for path in /etc/default/constellate-server "/etc/systemd/system/multi-user.target.wants/$SERVICE" \
    "/var/lib/systemd/deb-systemd-helper-enabled/$SERVICE.dsh-also" \
    "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/$SERVICE" \
    "/var/lib/systemd/deb-systemd-helper-masked/$SERVICE" "$STATE_DIR"; do
    [[ -e $path || -L $path ]] && fail "left behind after purge: $path"
done
getent passwd "$SERVICE_USER" >/dev/null && fail "purge left the user $SERVICE_USER, though it owns no data"
ok "purged: nothing of $(wc -l <"$work/all-files") listed paths is left, nor the conffile, the enablement or the user"

# --- 6. The server alone, with rooms in /var/lib/constellate -------------------------------------

step "constellate-server alone; purge keeps $STATE_DIR"
as_root apt-get "${APT_OPTS[@]}" install "${deb[constellate-server]}" >"$work/install2.log" 2>&1 \
    || { cat "$work/install2.log" >&2; fail "apt-get install constellate-server alone"; }
installed constellate && fail "installing constellate-server installed the editor too"
# What systemd's StateDirectory= makes on the service's first start, then a room in it.
as_root install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$STATE_DIR"
as_root runuser -u "$SERVICE_USER" -- /usr/bin/constellate-server rooms list --data-dir "$STATE_DIR" >"$work/rooms.txt" 2>&1 \
    || { cat "$work/rooms.txt" >&2; fail "constellate-server rooms list --data-dir $STATE_DIR as $SERVICE_USER"; }
as_root runuser -u "$SERVICE_USER" -- touch "$STATE_DIR/kept"
as_root apt-get "${APT_OPTS[@]}" purge constellate-server >"$work/purge2.log" 2>&1 \
    || { cat "$work/purge2.log" >&2; fail "apt-get purge constellate-server"; }
[[ -f $STATE_DIR/kept ]] || fail "purge removed $STATE_DIR"
getent passwd "$SERVICE_USER" >/dev/null || fail "purge removed the user $SERVICE_USER, who owns $STATE_DIR"
ok "the server installs alone; purge keeps $STATE_DIR and its owner $SERVICE_USER (removed now by this check)"
