#!/usr/bin/env bash
# Reproduces the server figures in docs/benchmarks.md ("The protocol and the server"):
# builds Release, then runs bench/constellate-load against constellate-server and against
# bench/bare-relay (the yardstick), each started by the tool on a free loopback port with a
# temporary data directory and stopped at the end of every run:
#   (a) VR presence (34 bytes) at 60 Hz from one sender, 100 receivers
#   (b) the same with 500 receivers
#   (c) 100 clients, 10 writers at 100 node moves/s each, everyone's presence at 30 Hz
#   (d) the largest room (one sender, 60 Hz) that holds p99 <= 16 ms: 100, 200, 400, 800,
#       1000 receivers, stopping at the first that fails
#   (e) joining a room of 100,000 nodes and 200,000 edges (imported through the protocol)
# and the message sizes. Every run is bounded (--duration, default 10 s); each scenario is
# repeated (default 3) and the summary gives medians. JSON files go to the results folder.
#
# Usage: bench/run-load-bench.sh [--quick] [--repeat N] [--duration S] [--results DIR] [--only a,b,c,d,e]
#   --quick   one repetition of 5 s each (a smoke run, not for the figures)
# Traffic goes to 127.0.0.1 only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-release"
repeat=3
duration=10
only="a,b,c,d,e"
results=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) repeat=1; duration=5 ;;
    --repeat) repeat="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --results) results="$2"; shift ;;
    --only) only="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--repeat N] [--duration S] [--results DIR] [--only a,b,c,d,e]" >&2; exit 2 ;;
    esac
    shift
done
results="${results:-$build/load-results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$results"
large="${CONSTELLATE_BENCH_LARGE_GRAPHML:-${TMPDIR:-/tmp}/constellate-large-100k.graphml}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONSTELLATE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target constellate-load bare-relay constellate-server
load="$build/bench/constellate-load"
server="$build/app/constellate-server"
relay="$build/bench/bare-relay"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== results in $results"
"$load" --sizes > "$results/message-sizes.md"
"$load" --sizes --json > "$results/message-sizes.json"

wants() { [[ ",$only," == *",$1,"* ]]; }

# run NAME KIND ARGS... : `repeat` runs of one scenario against one server kind.
#   KIND: server (constellate-server), relay (bare-relay as it is), relay-direct (bare-relay --direct)
run() {
    local name="$1" kind="$2"
    shift 2
    local target=(--spawn-server "$server")
    case "$kind" in
    relay) target=(--spawn-server "$relay" --bare) ;;
    relay-direct) target=(--spawn-server "$relay" --bare --server-arg --direct) ;;
    esac
    for i in $(seq 1 "$repeat"); do
        local out="$results/$name-$kind-$i.json"
        timeout $((duration * 4 + 180)) "$load" "${target[@]}" --duration "$duration" --json "$@" > "$out" || true
        python3 - "$out" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"   {sys.argv[1]}: no result ({e})"); sys.exit(0)
if "error" in d:
    print(f"   {sys.argv[1].rsplit('/',1)[-1]}: {d['error']}"); sys.exit(0)
l, r = d["latency_ms"], d["read_latency_ms"]
s = d.get("server", {})
print(f"   {sys.argv[1].rsplit('/',1)[-1]:32} p50 {l['p50']:7.3f} p90 {l['p90']:7.3f} p99 {l['p99']:7.3f} max {l['max']:7.3f} ms"
      f" | read p99 {r['p99']:7.3f} | lost {d['lost']:.0f} | {d['delivered_per_second']:.0f}/s"
      f" | server CPU {s.get('cpu_percent', 0):.0f}% RSS {s.get('peak_rss_kib', 0)/1024:.0f} MiB"
      f" | tool CPU {d['client_cpu_percent']:.0f}% | load {d['loadavg_1min_start']}")
EOF
    done
}

# median_p99 NAME KIND: the median p99 (ms) of a scenario's runs, for the sweep.
median_p99() {
    python3 - "$results" "$1" "$2" <<'EOF'
import glob, json, statistics, sys
vals = []
for f in glob.glob(f"{sys.argv[1]}/{sys.argv[2]}-{sys.argv[3]}-*.json"):
    try:
        d = json.load(open(f))
        vals.append(d["latency_ms"]["p99"] if "error" not in d and d["latency_ms"]["count"] else 1e9)
    except Exception:
        vals.append(1e9)
print(statistics.median(vals) if vals else 1e9)
EOF
}

presence=(--presence vr --presence-hz 60 --presence-senders 1 --warmup 2)
if wants a; then
    echo "== (a) one sender, VR presence at 60 Hz, 100 receivers"
    for kind in server relay relay-direct; do run a-100 "$kind" --clients 101 "${presence[@]}"; done
fi
if wants b; then
    echo "== (b) one sender, VR presence at 60 Hz, 500 receivers"
    for kind in server relay relay-direct; do run b-500 "$kind" --clients 501 "${presence[@]}"; done
fi
if wants c; then
    echo "== (c) 100 clients, 10 writers at 100 node moves/s each, everyone's presence at 30 Hz"
    for kind in server relay; do
        run c-mixed "$kind" --clients 100 --writers 10 --ops-per-second 100 --presence vr --presence-hz 30 --warmup 2
    done
fi
if wants d; then
    echo "== (d) the largest room at p99 <= 16 ms (one sender, VR presence at 60 Hz)"
    for kind in server relay; do
        for receivers in 100 200 400 800 1000 1500 2000 3000 4000; do
            run "d-$receivers" "$kind" --clients $((receivers + 1)) "${presence[@]}"
            p99=$(median_p99 "d-$receivers" "$kind")
            echo "   $kind, $receivers receivers: median p99 $p99 ms"
            if python3 -c "import sys; sys.exit(0 if float('$p99') > 16 else 1)"; then break; fi
        done
    done
fi
if wants e; then
    echo "== (e) joining a room of 100,000 nodes and 200,000 edges"
    if [ ! -s "$large" ]; then
        echo "writing $large (100,000 nodes, 200,000 edges) ..."
        python3 "$root/bench/make-large-graphml.py" "$large"
    fi
    for i in $(seq 1 "$repeat"); do
        timeout 900 "$load" --spawn-server "$server" --join "$large" --join-repeat 5 --cold --json \
            > "$results/e-join-server-$i.json" || true
        python3 - "$results/e-join-server-$i.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["join"]
if "error" in d.get("import", {}):
    print("   " + d["import"]["error"]); sys.exit(0)
w = [j["total_ms"] for j in d["warm_joins"]]
c = d.get("cold_join", {})
print(f"   warm joins {', '.join(f'{x:.0f}' for x in w)} ms (median {d.get('warm_join_median_ms', 0):.0f});"
      f" cold {c.get('total_ms', 0):.0f} ms; {d['warm_joins'][0]['wire_bytes']/1e6:.2f} MB on the wire;"
      f" server RSS {d.get('cold_server_rss_kib_start', 0)/1024:.0f} -> {d.get('cold_server_rss_kib_after_second_join', 0)/1024:.0f} MiB"
      f" (peak {d.get('cold_server_peak_rss_kib', 0)/1024:.0f} MiB)")
EOF
    done
fi

echo "== summary (medians over $repeat runs)"
python3 - "$results" <<'EOF' | tee "$results/summary.txt"
import glob, json, os, re, statistics, sys
res = sys.argv[1]
groups = {}
for f in sorted(glob.glob(f"{res}/*.json")):
    m = re.match(r"(.+)-(server|relay|relay-direct)-(\d+)\.json$", os.path.basename(f))
    if not m:
        continue
    try:
        groups.setdefault((m.group(1), m.group(2)), []).append(json.load(open(f)))
    except Exception:
        pass
med = lambda xs: statistics.median(xs) if xs else float("nan")
summary = {}
print(f"{'scenario':10} {'server':13} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'read p99':>8} {'lost':>6} {'deliv/s':>8} {'srv CPU':>7} {'srv RSS':>7} runs")
for (name, kind), runs in sorted(groups.items(), key=lambda kv: (kv[0][0].split('-')[0], int(re.sub(r'\D', '', kv[0][0]) or 0), kv[0][1])):
    if name.startswith("e-join"):
        ok = [r["join"] for r in runs if "warm_join_median_ms" in r["join"]]
        summary[f"{name}/{kind}"] = {
            "warm_join_ms": med([j["warm_join_median_ms"] for j in ok]),
            "cold_join_ms": med([j["cold_join"]["total_ms"] for j in ok if "cold_join" in j]),
            "wire_bytes": med([j["warm_joins"][0]["wire_bytes"] for j in ok]),
            "room_rss_kib": med([j["cold_server_rss_kib_after_second_join"] - j["cold_server_rss_kib_start"] for j in ok if "cold_server_rss_kib_start" in j]),
            "peak_rss_kib": med([j["cold_server_peak_rss_kib"] for j in ok if "cold_server_peak_rss_kib" in j]),
            "runs": len(ok)}
        s = summary[f"{name}/{kind}"]
        print(f"{'e-join':10} {kind:13} warm join {s['warm_join_ms']:.0f} ms, cold {s['cold_join_ms']:.0f} ms, {s['wire_bytes']/1e6:.2f} MB on the wire,"
              f" room {s['room_rss_kib']/1024:.0f} MiB RSS (peak {s['peak_rss_kib']/1024:.0f} MiB), {s['runs']} runs")
        continue
    ok = [r for r in runs if "error" not in r and r["latency_ms"]["count"]]
    if not ok:
        print(f"{name:10} {kind:13} no result: {runs[0].get('error', '?')}")
        continue
    s = {k: med([r["latency_ms"][k] for r in ok]) for k in ("p50", "p90", "p99", "max")}
    s["read_p99"] = med([r["read_latency_ms"]["p99"] for r in ok])
    s["lost_total"] = sum(r["lost"] for r in ok)
    s["lost_median"] = med([r["lost"] for r in ok])
    s["lost_median_percent"] = med([100 * r["lost"] / max(1, sum(r.get(k, {}).get("expected_deliveries", 0) for k in ("presence", "operations"))) for r in ok])
    s["delivered_per_second"] = med([r["delivered_per_second"] for r in ok])
    s["server_cpu_percent"] = med([r.get("server", {}).get("cpu_percent", 0) for r in ok])
    s["server_peak_rss_kib"] = max(r.get("server", {}).get("peak_rss_kib", 0) for r in ok)
    s["runs"] = len(ok)
    s["loadavg"] = [r["loadavg_1min_start"] for r in ok]
    summary[f"{name}/{kind}"] = s
    print(f"{name:10} {kind:13} {s['p50']:7.3f} {s['p90']:7.3f} {s['p99']:7.3f} {s['max']:7.3f} {s['read_p99']:8.3f} {s['lost_median']:6.0f}"
          f" {s['delivered_per_second']:8.0f} {s['server_cpu_percent']:6.0f}% {s['server_peak_rss_kib']/1024:5.0f}Mi {s['runs']}  load {' '.join(s['loadavg'])}")
json.dump(summary, open(f"{res}/summary.json", "w"), indent=1)
EOF
echo "(latency in ms from the sender's write() to the segment's arrival at the receiver's socket; 'read p99': to this tool's read(); lost: median per run)"
