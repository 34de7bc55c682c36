#!/bin/sh
# Runs every test of the build in $BUILD: cmocka unit binaries, the XSD check
# of every example document, the fuzz corpora replayed through each target,
# and the integration scripts (real processes on 127.0.0.1). Prints each
# suite's own summary and a last line "tests: N suites passed, N failed".
# ONLY=unit or ONLY=integration runs that part alone (make unit, make
# integration).
set -u
ONLY=${ONLY:-all}
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export RT_BIN="$top/$BUILD"
# Sanitizer reports make the run fail instead of scrolling by.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0
fail=0
failed=""

run() {
	name=$1
	shift
	echo "=== $name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "=== $name FAILED"
	fi
}

part() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }

part unit && for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit $(basename "$t")" "$t"
done

check_docs() {
	n=0
	bad=0
	for f in $(find examples tests/data -name '*.xml' 2>/dev/null | sort); do
		grep -q 'urn:roamtrust:1' "$f" || continue
		n=$((n + 1))
		if ! xmllint --noout --nonet --schema schemas/roamtrust.xsd "$f" \
		    2>/tmp/rt-xmllint.$$; then
			case "$f" in
			*/invalid/*) ;;
			*) bad=$((bad + 1)); cat /tmp/rt-xmllint.$$ ;;
			esac
		else
			case "$f" in
			*/invalid/*) bad=$((bad + 1)); echo "$f: invalid document validated" ;;
			esac
		fi
	done
	rm -f /tmp/rt-xmllint.$$
	echo "xmllint: $n documents, $((n - bad)) passed, $bad failed"
	[ "$bad" -eq 0 ]
}
part unit && [ -f schemas/roamtrust.xsd ] && run "xmllint --schema" check_docs

part unit && for t in "$BUILD"/tests/replay_fuzz_*; do
	[ -x "$t" ] || continue
	name=${t##*/replay_}
	run "fuzz corpus $name" "$t" "tests/fuzz/corpus/$name"
done

part integration && for s in tests/integration/*.sh; do
	[ -f "$s" ] || continue
	run "integration $(basename "$s")" bash "$s"
done

echo "tests: $pass suites passed, $fail failed${failed:+ (failed:$failed)}"
[ "$fail" -eq 0 ]
