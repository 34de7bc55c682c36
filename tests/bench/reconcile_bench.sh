#!/bin/sh
# Reconcile throughput and memory: two signed exports of 1M records each
# (the same records, as each realm would write them), reconciled in CSV and
# in XML with the real CLI, next to `LC_ALL=C sort | join` on the same CSV
# records in the same run. Records/s counts the records of both files;
# peak memory is the child's maximum resident set (getrusage via wait4).
# BENCH_RECONCILE_10M=1 adds 2x10M records (about 17 GB of scratch files;
# skipped when the disk has less free). Prints "bench: ..." lines.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$TOP/${BUILD:-build}"
PKI="$BIN/roamtrust-pki"
BROKER="$BIN/roamtrust-broker"
GEN="$BIN/tools/rt_export_gen"
RUN="$BIN/tools/rt_bench_run"
for f in "$PKI" "$BROKER" "$GEN" "$RUN"; do
	[ -x "$f" ] || { echo "reconcile_bench: $f not built" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/rt-bench-reconcile.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
cd "$W" || exit 1

"$PKI" init --dir ca --name "Bench Federation" >/dev/null
for r in home.example visited.example; do
	"$PKI" request --realm "$r" --out keys >/dev/null
	"$PKI" issue --dir ca --csr "keys/$r.csr" --realm "$r" --out "keys/$r.crt" >/dev/null
done
"$PKI" crl --dir ca --out crl.pem >/dev/null

# gen FORMAT N: ours.FORMAT (visited's) and theirs.FORMAT (home's)
gen() {
	"$GEN" --format "$1" --records "$2" --issuer visited.example --partner home.example \
		--key keys/visited.example.key --cert keys/visited.example.crt --out "ours.$1" &&
	"$GEN" --format "$1" --records "$2" --issuer home.example --partner visited.example \
		--key keys/home.example.key --cert keys/home.example.crt --out "theirs.$1"
}

# measure NAME CMD...: sets SECS and RSS_KB; fails unless the exit is 0
measure() {
	name=$1
	shift
	"$RUN" res "$@" >/dev/null || return 1
	read -r SECS RSS_KB status <res
	if [ "$status" -ne 0 ]; then
		echo "reconcile_bench: $name exited $status" >&2
		return 1
	fi
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 0.001) }'; }

# run N LABEL: the three measurements on 2 x N records
run() {
	n=$1 label=$2 total=$(($1 * 2))
	gen csv "$n" || exit 1
	measure sort_join sh -c 'LC_ALL=C sort -t, -k1,1 -S 256M theirs.csv >s2 &&
		LC_ALL=C sort -t, -k1,1 -S 256M ours.csv | LC_ALL=C join -t, -a1 -a2 - s2 >/dev/null' || exit 1
	sj=$SECS
	rm -f s2
	echo "bench: sort_join_$label $(rate "$total" "$sj") records/s (LC_ALL=C sort | join, 2x$n CSV records, ${sj}s)"
	measure reconcile_csv "$BROKER" reconcile --ca ca/ca.crt --crl crl.pem ours.csv theirs.csv || exit 1
	peak=$RSS_KB
	echo "bench: reconcile_csv_$label $(rate "$total" "$SECS") records/s ratio $(ratio "$SECS" "$sj") vs sort_join (${SECS}s, peak ${RSS_KB} KB)"
	rm -f ours.csv theirs.csv
	gen xml "$n" || exit 1
	measure reconcile_xml "$BROKER" reconcile --ca ca/ca.crt --crl crl.pem ours.xml theirs.xml || exit 1
	[ "$RSS_KB" -gt "$peak" ] && peak=$RSS_KB
	echo "bench: reconcile_xml_$label $(rate "$total" "$SECS") records/s ratio $(ratio "$SECS" "$sj") vs sort_join (${SECS}s, peak ${RSS_KB} KB)"
	rm -f ours.xml theirs.xml
	echo "bench: reconcile_peak_rss$([ "$label" = 1m ] || echo "_$label") $((peak / 1024)) MB (2x$n records, CSV and XML)"
}

run 1000000 1m
if [ "${BENCH_RECONCILE_10M:-0}" = 1 ]; then
	free_kb=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
	if [ "$free_kb" -lt $((20 * 1024 * 1024)) ]; then
		echo "bench: reconcile_10m skipped: $((free_kb / 1024 / 1024)) GB free, 20 GB needed"
	else
		run 10000000 10m
	fi
fi
