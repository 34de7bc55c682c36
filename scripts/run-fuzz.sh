#!/bin/sh
# Runs each libFuzzer target in $1/fuzz for FUZZ_SECONDS, starting from its
# seed corpus (tests/fuzz/corpus/NAME); new inputs go to a scratch copy.
set -u
build=$1
secs=${FUZZ_SECONDS:-20}
fail=0
for f in "$build"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	work=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -R "tests/fuzz/corpus/$name/." "$work/"
	echo "=== $name ($secs s)"
	if "$f" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -print_final_stats=1 "$work" 2>"$work.log"; then
		grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
	else
		tail -40 "$work.log"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $fail targets failed"
[ "$fail" -eq 0 ]
