#!/usr/bin/env bash
# test.sh: sets up, builds and runs the whole test suite twice: a normal build
# (build/) and one under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/); then the libFuzzer targets, each for a bounded time, in a
# clang build (build-fuzz/). Ends with the line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

# configure DIR [meson options...]: meson setup once, then ninja. $CC picks the compiler.
configure() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || { meson setup --wipe "$dir" "$@"; return 1; }
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

failed_builds=0
suites=()
if configure build; then
	meson test -C build --print-errorlogs --num-processes 2
	suites+=(build)
else
	failed_builds=$((failed_builds + 1))
fi
if configure build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3
	suites+=(build-asan)
else
	failed_builds=$((failed_builds + 1))
fi

if CC=clang configure build-fuzz -Dfuzz=true -Dfuzz_seconds=20; then
	meson test -C build-fuzz --print-errorlogs --suite fuzz
	suites+=(build-fuzz)
else
	failed_builds=$((failed_builds + 1))
fi

python3 - "$failed_builds" "${suites[@]}" <<'PY'
import json, sys
passed, failed, skipped = 0, int(sys.argv[1]), 0
for d in sys.argv[2:]:
    for line in open(d + "/meson-logs/testlog.json"):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
