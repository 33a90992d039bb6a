#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) in build-fuzz/ with clang-14, AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for a bounded time from its seed corpus
# (tests/fuzz/corpus/<target>/).
#
#   scripts/fuzz.sh                      every target, 30 s each
#   scripts/fuzz.sh --time 60            60 s each (or FUZZ_SECONDS=60)
#   scripts/fuzz.sh fuzz_protocol ...    only the targets named
#
# Exits non-zero when the build fails or a target finds a crash, a leak, undefined
# behaviour, a failed property check or a timeout; the input that did it is kept in
# build-fuzz/crashes/<target>/ (replay: build-fuzz/tests/fuzz/<target> FILE). What a run
# adds to the corpus stays in build-fuzz/corpus/<target>/, outside the source tree.
# Needs clang-14 (or clang) and libclang-rt-14-dev: scripts/bootstrap.sh installs them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly BUILD="$ROOT/build-fuzz"
readonly ALL_TARGETS=(fuzz_protocol fuzz_transaction fuzz_snapshot fuzz_lanbeacon)

seconds=${FUZZ_SECONDS:-30}
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t | --time)
            seconds=${2:?--time needs a number of seconds}
            shift 2
            ;;
        -h | --help)
            sed -n '2,16s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        fuzz_*)
            targets+=("$1")
            shift
            ;;
        *)
            printf 'fuzz.sh: unknown argument: %s (try --help)\n' "$1" >&2
            exit 2
            ;;
    esac
done
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    printf 'fuzz.sh: the time must be a positive number of seconds, not %s\n' "$seconds" >&2
    exit 2
fi
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    if [[ ! " ${ALL_TARGETS[*]} " == *" $t "* ]]; then
        printf 'fuzz.sh: no fuzz target %s (targets: %s)\n' "$t" "${ALL_TARGETS[*]}" >&2
        exit 2
    fi
done

cxx=""
for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then
        cxx=$candidate
        break
    fi
done
if [[ -z $cxx ]]; then
    printf 'fuzz.sh: clang++ not found: run scripts/bootstrap.sh (clang-14, libclang-rt-14-dev)\n' >&2
    exit 1
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

printf '==> configure %s (%s, ASan+UBSan, libFuzzer)\n' "$BUILD" "$cxx"
# -O1 -g with assertions on; clang does not know GCC's -Wshadow=local.
cmake -S "$ROOT" -B "$BUILD" -G Ninja "${launcher[@]}" \
    -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_CXX_FLAGS="-Wno-unknown-warning-option" \
    -DCONSTELLATE_SANITIZE=ON -DCONSTELLATE_BUILD_FUZZERS=ON \
    -DCONSTELLATE_BUILD_TESTS=ON -DCONSTELLATE_BUILD_BENCH=OFF >/dev/null

printf '==> build %s\n' "${targets[*]}"
cmake --build "$BUILD" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
    corpus="$BUILD/corpus/$t"
    crashes="$BUILD/crashes/$t"
    mkdir -p "$corpus" "$crashes"
    printf '\n==> %s for %d s (seeds: tests/fuzz/corpus/%s)\n' "$t" "$seconds" "$t"
    status=0
    # New inputs go to the first directory; the checked-in seeds are only read.
    "$BUILD/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" \
        "$corpus" "$ROOT/tests/fuzz/corpus/$t" 2>&1 | tail -n 25 || status=$?
    if [[ $status -ne 0 ]]; then
        failed+=("$t")
        printf 'fuzz.sh: %s FAILED (exit status %d); inputs in %s\n' "$t" "$status" "$crashes" >&2
    else
        printf 'fuzz.sh: %s: no crash in %d s\n' "$t" "$seconds"
    fi
done

printf '\n'
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'fuzz.sh: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf 'fuzz.sh: %d targets, %d s each, no crash\n' "${#targets[@]}" "$seconds"
