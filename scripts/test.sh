#!/usr/bin/env bash
# Quick start command 2: installs what is missing, builds, runs every test twice, then fuzzes:
#   1. build/       RelWithDebInfo                      (ctest -j2), then its packages:
#                   scripts/package-check.sh builds, lints, installs, runs and purges the .debs
#   2. build-asan/  Debug -O1 with ASan+UBSan, no bench (ctest -j2, leaks checked)
#   3. build-fuzz/  the libFuzzer targets of every decoder, 20 s each (scripts/fuzz.sh)
#
#   scripts/test.sh                all three passes
#   scripts/test.sh --no-asan      only the first pass
#   scripts/test.sh --asan-only    only the sanitizer pass
#   scripts/test.sh --no-fuzz      without the fuzzing pass (FUZZ_SECONDS=N: seconds per target)
#   scripts/test.sh --no-packages  without the package check (it needs root or sudo)
#
# Works from any directory. Exits non-zero on any failure. Its last lines are ctest's
# summary lines, then one combined line "N passed, M failed" over all passes (read by CI;
# ", K skipped" follows when tests were skipped).
# Tests that open windows run under `xvfb-run -a` when there is no DISPLAY; the editor's
# tests leave screenshots of their windows in build*/test-artifacts/.
# CONSTELLATE_JOBS=N limits build parallelism (never above nproc).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT

run_plain=1
run_asan=1
run_fuzz=1
run_packages=1
for arg in "$@"; do
    case "$arg" in
        --no-asan) run_asan=0 ;;
        --asan-only) run_plain=0 run_fuzz=0 run_packages=0 ;;
        --no-fuzz) run_fuzz=0 ;;
        --no-packages) run_packages=0 ;;
        -h | --help)
            sed -n '2,18s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            printf 'test.sh: unknown option: %s (try --help)\n' "$arg" >&2
            exit 2
            ;;
    esac
done
if [[ $run_plain -eq 0 && $run_asan -eq 0 ]]; then
    printf 'test.sh: --no-asan and --asan-only together leave nothing to run\n' >&2
    exit 2
fi

cores=$(nproc)
jobs=${CONSTELLATE_JOBS:-$cores}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]] || ((jobs > cores)); then
    jobs=$cores
fi

# --- Phases and their times ----------------------------------------------------------------

script_start=$SECONDS
phase_names=()
phase_times=()
phase_start=0
current_phase=""

phase() {
    current_phase=$1
    phase_start=$SECONDS
    printf '\n==> %s\n' "$current_phase"
}
phase_done() {
    local took=$((SECONDS - phase_start))
    phase_names+=("$current_phase")
    phase_times+=("$took")
    printf '<== %s: %ds\n' "$current_phase" "$took"
}
fail() {
    printf '\ntest.sh: FAILED: %s (after %ds)\n' "$*" "$((SECONDS - script_start))" >&2
    exit 1
}

# --- Steps -----------------------------------------------------------------------------------

launcher=()
if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# configure BUILD_DIR CMAKE_ARGS...
configure() {
    local dir=$1
    shift
    local fresh=()
    # A build directory made with another generator cannot be reused: start it afresh.
    if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
        fresh=(--fresh)
    fi
    cmake "${fresh[@]}" -S "$ROOT" -B "$dir" -G Ninja "${launcher[@]}" "$@"
}

# The window-opening tests need an X server; xvfb-run provides one when there is none.
ctest_prefix=()
if [[ -z ${DISPLAY:-} ]] && command -v xvfb-run >/dev/null 2>&1; then
    ctest_prefix=(xvfb-run -a -s "-screen 0 1280x1024x24")
fi

total_passed=0
total_failed=0
total_skipped=0
summaries=() # ctest's own summary line of each pass, repeated at the very end
any_failed=0

# run_tests BUILD_DIR LABEL: runs ctest, adds its counts to the totals.
run_tests() {
    local dir=$1 label=$2
    local log="$dir/ctest-output.log"
    local status=0
    # The editor's tests keep screenshots of their windows here (artifacts to look at).
    (cd "$dir" && CONSTELLATE_SCREENSHOT_DIR="$dir/test-artifacts" "${ctest_prefix[@]}" \
        ctest --output-on-failure --no-tests=error --timeout 300 -j2) 2>&1 | tee "$log" || status=$?
    # LeakSanitizer's own tracer sometimes crashes at a test program's exit while stopping
    # its threads (Mesa's among them): "Tracer caught signal 11", "LeakSanitizer has
    # encountered a fatal error". That is the tool failing, not the test: such tests (and
    # only such) are run once more, and count as passed if they pass then.
    local tool_failures rerun_note=""
    tool_failures=$(awk '
        / Test +#[0-9]+: / {
            if (name != "" && lsan) print name
            name = ""; lsan = 0
            if ($0 ~ /\*\*\*/) { name = $0; sub(/.* Test +#[0-9]+: /, "", name); sub(/ .*/, "", name) }
            next
        }
        /^ +Start +[0-9]+: / { if (name != "" && lsan) print name; name = ""; lsan = 0; next }
        /LeakSanitizer has encountered a fatal error/ { if (name != "") lsan = 1 }
        END { if (name != "" && lsan) print name }' "$log" | sort -u)
    local tool_count=0 tool_passed=0
    if [[ $status -ne 0 && -n $tool_failures ]]; then
        tool_count=$(wc -l <<<"$tool_failures")
        local regex
        regex="^($(paste -sd'|' <<<"$tool_failures"))\$"
        printf 'test.sh: %d test(s) failed in LeakSanitizer itself; running them once more:\n%s\n' "$tool_count" "$tool_failures"
        if (cd "$dir" && "${ctest_prefix[@]}" ctest --output-on-failure --timeout 300 -R "$regex") 2>&1 | tee -a "$log"; then
            tool_passed=$tool_count
            rerun_note=" ($tool_count after a LeakSanitizer failure of its own, passed when run again)"
        fi
    fi
    local summary
    summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | head -n1 || true)
    if [[ -n $summary ]]; then
        local failed total
        failed=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
        total=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
        failed=$((failed - tool_passed))
        if [[ $failed -eq 0 && $tool_passed -gt 0 ]]; then
            status=0
            summary="100% tests passed, 0 tests failed out of $total$rerun_note"
        fi
        # ctest counts skipped tests (GTEST_SKIP) among the passed ones and lists them
        # under "The following tests did not run"; disabled ones are outside its total.
        local skipped
        skipped=$(grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' "$log" || true)
        total_passed=$((total_passed + total - failed - skipped))
        total_failed=$((total_failed + failed))
        total_skipped=$((total_skipped + skipped))
        summaries+=("$label" "$summary")
    else
        # ctest ended without a summary: no tests found, or it could not run at all.
        total_failed=$((total_failed + 1))
        summaries+=("$label" "ctest gave no summary (exit status $status): see $log")
    fi
    if [[ $status -ne 0 ]]; then
        any_failed=1
        printf 'test.sh: tests FAILED in %s (ctest exit status %d)\n' "$dir" "$status" >&2
    fi
}

printf 'Constellate tests: %s (build jobs: %d of %d cores)\n' "$ROOT" "$jobs" "$cores"

phase "bootstrap (packages)"
bash "$ROOT/scripts/bootstrap.sh" || fail "bootstrap"
phase_done

if [[ $run_plain -eq 1 ]]; then
    phase "build: build/ (RelWithDebInfo)"
    configure "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo || fail "configure build/"
    cmake --build "$ROOT/build" -j "$jobs" || fail "build build/"
    phase_done

    phase "test: build/"
    run_tests "$ROOT/build" "build/ (RelWithDebInfo):"
    phase_done

    if [[ $run_packages -eq 1 ]]; then
        # The .debs of build/, as a user installs them; the machine is left as it was.
        phase "packages: build/ (scripts/package-check.sh)"
        package_log="$ROOT/build/package-check.log"
        if bash "$ROOT/scripts/package-check.sh" "$ROOT/build" 2>&1 | tee "$package_log"; then
            summaries+=("packages (scripts/package-check.sh):" "$(grep '^package-check: ' "$package_log" | tail -n1)")
        else
            any_failed=1
            total_failed=$((total_failed + 1))
            summaries+=("packages (scripts/package-check.sh):" "FAILED: see $package_log")
        fi
        phase_done
    fi
fi

if [[ $run_asan -eq 1 ]]; then
    # Debug keeps asserts on; -O1 keeps the run time of instrumented tests reasonable; -g1
    # (line tables) is all a sanitizer report needs for FILE:LINE, at a fraction of the
    # compile and link time of full debug information.
    # The sanitizer options are set for the build too: gtest_discover_tests runs the
    # instrumented test programs at build time to list their tests.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    if [[ -f $ROOT/tests/lsan.supp ]]; then
        export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
    fi

    phase "build: build-asan/ (Debug -O1, ASan+UBSan)"
    configure "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DCONSTELLATE_SANITIZE=ON -DCONSTELLATE_BUILD_BENCH=OFF || fail "configure build-asan/"
    cmake --build "$ROOT/build-asan" -j "$jobs" || fail "build build-asan/"
    phase_done

    phase "test: build-asan/ (ASan+UBSan)"
    run_tests "$ROOT/build-asan" "build-asan/ (ASan+UBSan):"
    phase_done
fi

if [[ $run_fuzz -eq 1 ]]; then
    # Bounded: every decoder that reads client input, fuzzed for a fixed time each.
    phase "fuzz: build-fuzz/ (libFuzzer, ${FUZZ_SECONDS:-20} s per target)"
    if FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash "$ROOT/scripts/fuzz.sh"; then
        summaries+=("build-fuzz/ (libFuzzer):" "every fuzz target ran its time without a finding")
    else
        any_failed=1
        total_failed=$((total_failed + 1))
        summaries+=("build-fuzz/ (libFuzzer):" "a fuzz target found a problem or did not build: see above")
    fi
    phase_done
fi

# --- Summary: ctest's summary lines last, then the combined count --------------------------

printf '\n==> Times\n'
for i in "${!phase_names[@]}"; do
    printf '  %-45s %5ds\n' "${phase_names[$i]}" "${phase_times[$i]}"
done
printf '  %-45s %5ds\n' "total" "$((SECONDS - script_start))"
printf '\n'
for ((i = 0; i < ${#summaries[@]}; i += 2)); do
    printf '%s\n%s\n' "${summaries[i]}" "${summaries[i + 1]}"
done
if [[ $total_skipped -gt 0 ]]; then
    printf '%d passed, %d failed, %d skipped\n' "$total_passed" "$total_failed" "$total_skipped"
else
    printf '%d passed, %d failed\n' "$total_passed" "$total_failed"
fi

if [[ $any_failed -ne 0 || $total_failed -ne 0 ]]; then
    exit 1
fi
