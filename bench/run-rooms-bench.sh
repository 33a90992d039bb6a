#!/usr/bin/env bash
# Many busy rooms on one server (docs/benchmarks.md, "Many busy rooms"): builds Release,
# starts constellate-server on a free loopback port with a temporary data directory, then,
# for each room count R given, runs R constellate-load processes at once, each one room of
# 2 clients with 1 writer at 100 node moves/s (a live drag), for --duration seconds. Every
# edit is committed to its room's SQLite file (WAL, synchronous=FULL) before its ACK, so
# this measures how the rooms' commits share the storage threads and the disk: ACK latency
# (from the writer's send to its ACK) and relay latency, medians over the rooms of each
# room's p99, and lost relays.
#
# Usage: bench/run-rooms-bench.sh [--duration S] [--server PATH] [ROOMS ...]   (default: 1 10 20 50)
#   --server PATH   another constellate-server binary (to compare builds)
# Traffic goes to 127.0.0.1 only; every run is bounded by --duration (default 8 s).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-release"
duration=8
server=""
counts=()
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) duration="$2"; shift ;;
    --server) server="$2"; shift ;;
    --build) build="$2"; shift ;;
    -*) echo "usage: $0 [--duration S] [--server PATH] [ROOMS ...]" >&2; exit 2 ;;
    *) counts+=("$1") ;;
    esac
    shift
done
[ ${#counts[@]} -gt 0 ] || counts=(1 10 20 50)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONSTELLATE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target constellate-load constellate-server >/dev/null
load="$build/bench/constellate-load"
server="${server:-$build/app/constellate-server}"

work=$(mktemp -d)
srv=""
cleanup() {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
"$server" --port 0 --bind 127.0.0.1 --data-dir "$work/data" --log-level warning > "$work/stdout" 2> "$work/log" &
srv=$!
for _ in $(seq 1 100); do
    grep -q "listening on port" "$work/stdout" 2>/dev/null && break
    sleep 0.1
done
port=$(grep -o "port [0-9]*" "$work/stdout" | cut -d' ' -f2)
[ -n "$port" ] || { echo "the server did not start:" >&2; cat "$work/log" >&2; exit 1; }

echo "== machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); server $server"
for rooms in "${counts[@]}"; do
    pids=()
    for i in $(seq 1 "$rooms"); do
        timeout $((duration + 120)) "$load" --url "ws://127.0.0.1:$port/rooms/busy-$rooms-$i" --create --clients 2 \
            --writers 1 --ops-per-second 100 --duration "$duration" --warmup 1 --json > "$work/out-$rooms-$i.json" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    python3 - "$rooms" "$work" <<'EOF'
import json, statistics, sys
rooms, work = int(sys.argv[1]), sys.argv[2]
ack, relay, lost, failed = [], [], 0, 0
for i in range(1, rooms + 1):
    try:
        ops = json.load(open(f"{work}/out-{rooms}-{i}.json"))["operations"]
    except (OSError, ValueError, KeyError):
        failed += 1
        continue
    ack.append(ops["ack_latency_ms"]["p99"])
    relay.append(ops["latency_ms"]["p99"])
    lost += ops["lost"]
if not ack:
    sys.exit(f"{rooms} rooms: no run finished")
print(f"{rooms:4} rooms: ACK p99 median {statistics.median(ack):8.2f} ms (worst room {max(ack):8.2f}); "
      f"relay p99 median {statistics.median(relay):6.2f} ms; lost {lost}" + (f"; {failed} runs failed" if failed else ""))
EOF
done
