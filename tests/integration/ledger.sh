#!/bin/bash
# The ledger with two real brokers: visited.example, where alice of
# home.example roams, and her home. A small agent (rt_usage_tool) gets an
# assertion from the home through the visited broker and submits usage
# records over the visited agent socket. Checks: per-record refusals with
# their reason, acknowledgements only for what is stored, forwarding in
# UsageBatches to the home, the home's flags (unknown assertion, another
# subscriber), `ledger status` on both sides; the visited broker killed
# with SIGKILL during sustained submits: after its restart every record
# it acknowledged is in its ledger exactly once, and forwarding goes on
# with no gap and no repeat (both ledgers hold the same records, the
# home's batches are 1..N); `ledger verify` passes on both while they run;
# a row altered with sqlite3 is named by `ledger verify` (exit 1).
set -u
. "$(dirname "$0")/common.inc"
UT="$TOOLS/rt_usage_tool"

command -v sqlite3 >/dev/null || {
	echo "not ok - the sqlite3 command is needed (make deps installs it)"
	echo "0 passed, 1 failed"
	exit 1
}
cd "$WORK" || exit 1

# --- PKI, agreement, configurations ---
"$PKI" init --dir ca --name "IT Federation" >/dev/null
for r in home.example visited.example; do
	"$PKI" request --realm "$r" --out "$r" >/dev/null
	"$PKI" issue --dir ca --csr "$r/$r.csr" --realm "$r" --out "$r/$r.crt" >/dev/null
done
"$PKI" crl --dir ca --out crl.pem >/dev/null
mkdir -p agreements
"$PKI" agreement new --home home.example --visited visited.example \
    --service voice:minute:12 --service message:message:2 --currency EUR \
    --max-assertion 3600 --out agreements/hv.xml >/dev/null &&
    "$PKI" agreement sign --key home.example/home.example.key \
    --cert home.example/home.example.crt agreements/hv.xml >/dev/null &&
    "$PKI" agreement sign --key visited.example/visited.example.key \
    --cert visited.example/visited.example.crt agreements/hv.xml >/dev/null
AGREEMENT=$(grep -o 'id="[0-9a-f-]*"' agreements/hv.xml | head -1 | cut -d'"' -f2)

HOME_PORT=$(free_port)
VISITED_PORT=$(free_port)
METRICS_PORT=$(free_port)
broker_conf() {	# realm port peer peer_port [metrics port]
	cat >"$1.conf" <<EOF
[broker]
realm = $1
key = $WORK/$1/$1.key
cert = $WORK/$1/$1.crt
ca = $WORK/ca/ca.crt
crl_url = file://$WORK/crl.pem
listen = tls+tcp://127.0.0.1:$2
agreements = $WORK/agreements
state_dir = $WORK/state-$1
ping_interval = 1s
request_timeout = 3s
checkpoint_records = 500
checkpoint_interval = 2s
usage_forward_interval = 1s
${5:+metrics_listen = 127.0.0.1:$5}

[peer.$3]
endpoint = tls+tcp://127.0.0.1:$4
EOF
}
broker_conf home.example "$HOME_PORT" visited.example "$VISITED_PORT"
broker_conf visited.example "$VISITED_PORT" home.example "$HOME_PORT" "$METRICS_PORT"
VLEDGER=$WORK/state-visited.example/ledger.db
HLEDGER=$WORK/state-home.example/ledger.db
AGENT_URL=ipc://$WORK/state-visited.example/agent.sock

q() {	# ledger sql: one value (read-only, the daemon may be writing)
	sqlite3 -readonly -batch -noheader "$1" "$2"
}
start broker-home "$BROKER" run -c home.example.conf
start broker-visited "$BROKER" run -c visited.example.conf
peer_up() { "$BROKER" peers -c "$1.conf" 2>/dev/null | grep -q "^$2 *up"; }
ok "home and visited brokers peer" wait_for 20 peer_up visited.example home.example
ok "  ... both ways" wait_for 20 peer_up home.example visited.example
printf '%s\n' 'Roam-Wide-2026!' | "$BROKER" subscriber add sip:alice@home.example alice \
    --services voice,message --password-stdin -c home.example.conf >/dev/null 2>&1

# --- an assertion, recorded by the home before it answers ---
printf '%s\n' 'Roam-Wide-2026!' | "$UT" auth "$AGENT_URL" home.example alice \
    sip:alice@home.example voice >auth.out 2>&1
ASSERTION=$(awk '$1 == "assertion" { print $2 }' auth.out)
ok "alice gets an assertion through the visited broker" test -n "$ASSERTION"
ok "  ... which the home recorded" \
    test "$(q "$HLEDGER" "SELECT COUNT(*) FROM assertions WHERE id = '$ASSERTION'")" = 1

submit() {	# count [more options]: prints the tool's summary line
	n=$1
	shift
	"$UT" submit "$AGENT_URL" --count "$n" --per 100 --home home.example \
	    --visited visited.example --agreement "$AGREEMENT" --assertion "$ASSERTION" \
	    --subscriber sip:alice@home.example "$@"
}

# --- records in, refused one by one, forwarded ---
submit 500 --bad-every 50 --acked acked-first.txt >submit1.out 2>&1
ok "500 submitted: 490 stored, 10 refused (service not in the agreement)" \
    grep -q "submitted 500 stored 490 rejected 10" submit1.out
ok "the visited ledger holds the 490" \
    test "$(q "$VLEDGER" "SELECT COUNT(*) FROM records WHERE origin = 0")" = 490
ok "  ... each refusal logged with its reason" \
    logged broker-visited "event=usage_rejected id=[0-9a-f-]+ reason=denied"
home_has() {	# n records of theirs at the home
	test "$(q "$HLEDGER" "SELECT COUNT(*) FROM records WHERE origin = 1")" = "$1"
}
ok "the home gets them in UsageBatches" wait_for 30 home_has 490
ok "  ... none flagged: alice's assertion, her service, in its validity" \
    test "$(q "$HLEDGER" "SELECT COUNT(*) FROM records WHERE flags <> ''")" = 0
submit 20 --assertion 0190f3c2-7a1e-7c3d-9a4b-00000000dead >submit2.out 2>&1
submit 10 --subscriber sip:mallory@home.example >submit3.out 2>&1
ok "records under an assertion the home never issued are taken" \
    grep -q "submitted 20 stored 20 rejected 0" submit2.out
ok "the home has all 520" wait_for 30 home_has 520
ok "  ... 20 flagged unknown-assertion" \
    test "$(q "$HLEDGER" "SELECT COUNT(*) FROM records WHERE flags = 'unknown-assertion'")" = 20
ok "  ... 10 flagged wrong-subscriber" \
    test "$(q "$HLEDGER" "SELECT COUNT(*) FROM records WHERE flags = 'wrong-subscriber'")" = 10
"$BROKER" ledger status -c visited.example.conf >status-v.out 2>&1
"$BROKER" ledger status -c home.example.conf >status-h.out 2>&1
ok "ledger status (visited): records ours and the last batch out acked" \
    eval 'grep -q "records:    520 ours, 0 theirs" status-v.out && grep -q "batch out:  [0-9]* acked, 0 batches pending, 0 records not yet" status-v.out'
http_get "$METRICS_PORT" /metrics >metrics.out 2>/dev/null
ok "/metrics: records stored, refused by reason, batches out acked, commits" \
    eval 'grep -q "^roamtrust_ledger_records_total{origin=\"ours\"} 520$" metrics.out &&
    grep -q "^roamtrust_usage_rejected_total{reason=\"denied\"} 10$" metrics.out &&
    grep -q "^roamtrust_usage_batches_out_total{result=\"acked\"} [1-9]" metrics.out &&
    grep -q "^roamtrust_ledger_commits_total [1-9]" metrics.out'
ok "ledger status (home): theirs, flagged, the last batch in" \
    eval 'grep -q "records:    0 ours, 520 theirs (30 flagged)" status-h.out && grep -q "batch in:   [0-9]* at" status-h.out'

# --- SIGKILL during sustained submits ---
start submitter "$UT" submit "$AGENT_URL" --count 20000 --per 100 --home home.example \
    --visited visited.example --agreement "$AGREEMENT" --assertion "$ASSERTION" \
    --acked acked.txt --retry 120
acked_at_least() { [ -f acked.txt ] && [ "$(wc -l <acked.txt)" -ge "$1" ]; }
ok "submits under way" wait_for 60 acked_at_least 3000
VPID=$(cat broker-visited.pid)
kill -KILL "$VPID" 2>/dev/null
wait "$VPID" 2>/dev/null	# gone for good: its admin socket no longer answers
ok "the visited broker is killed mid-stream" eval '! kill -0 "$VPID" 2>/dev/null'
rm -f broker-visited.pid
start broker-visited2 "$BROKER" run -c visited.example.conf
ok "it starts again over its ledger" wait_for 20 peer_up visited.example home.example
ok "the submitter finishes after the restart" wait_for 180 eval '! running submitter'
ok "  ... with every record acknowledged" \
    grep -q "submitted 20000 stored 20000 rejected 0" submitter.log
q "$VLEDGER" "SELECT id FROM records WHERE origin = 0" | sort >ledger-ids.txt
sort acked-first.txt acked.txt >acked-sorted.txt
ok "every acknowledged record is in the visited ledger" \
    test -z "$(comm -23 acked-sorted.txt ledger-ids.txt | head -1)"
ok "  ... exactly once" test -z "$(uniq -d ledger-ids.txt | head -1)"
ok "  ... and only those were stored (no record stored twice or unasked)" \
    test "$(wc -l <ledger-ids.txt)" = "$(($(wc -l <acked-sorted.txt) + 30))"
all_forwarded() {
	test "$(q "$HLEDGER" "SELECT COUNT(*) FROM records WHERE origin = 1")" = \
	    "$(q "$VLEDGER" "SELECT COUNT(*) FROM records WHERE origin = 0")" &&
	    test "$(q "$VLEDGER" "SELECT COUNT(*) FROM batches_out WHERE acked = 0")" = 0
}
ok "forwarding goes on after the restart until the home has every record" \
    wait_for 120 all_forwarded
q "$HLEDGER" "SELECT id FROM records WHERE origin = 1" | sort >home-ids.txt
ok "  ... the very same records on both sides" cmp -s ledger-ids.txt home-ids.txt
ok "  ... batches in at the home are 1..N, no gap" \
    test "$(q "$HLEDGER" "SELECT COUNT(*) = MAX(seq) FROM batches_in")" = 1
ok "  ... as many as the visited side sent" \
    test "$(q "$HLEDGER" "SELECT MAX(seq) FROM batches_in")" = \
    "$(q "$VLEDGER" "SELECT MAX(seq) FROM batches_out")"
ok "  ... the home never saw a broken chain" eval '! logged broker-home "reason=chain_broken"'
ok "ledger verify passes on the visited ledger while the broker runs" \
    "$BROKER" ledger verify -c visited.example.conf
ok "ledger verify passes on the home ledger" "$BROKER" ledger verify -c home.example.conf
"$BROKER" ledger verify -c visited.example.conf >verify-ok.out 2>&1
ok "  ... and says how many records it checked" \
    grep -q "home.example: [0-9]* records ([0-9]* ours, 0 theirs, 0 flagged), [0-9]* checkpoints, chain ok" verify-ok.out

# --- a row altered behind the ledger's back ---
stop broker-visited2
ID=$(q "$VLEDGER" "SELECT id FROM records WHERE partner = 'home.example' AND pseq = 77")
sqlite3 "$VLEDGER" "UPDATE records SET quantity = quantity + 1 WHERE partner = 'home.example' AND pseq = 77"
"$BROKER" ledger verify -c visited.example.conf >verify-bad.out 2>verify-bad.err
status=$?
ok "ledger verify exits 1 on an altered row" test "$status" = 1
ok "  ... naming partner, pseq and record" \
    grep -q "BROKEN: partner home.example: altered row: pseq 77, record $ID" verify-bad.err
finish
