#!/bin/bash
# Usage from the SIP network to the settlement, end to end with real parts:
# alice of home.example roams in visited.example; sipp makes her calls and
# MESSAGEs through the visited Kamailio, which reports them to the agent;
# the agent's records reach the visited broker's ledger and, in UsageBatches,
# the home broker's. Both operators export (XML and CSV, signed), the files
# reconcile (exit 0), and the checks that must fail do: a tampered export,
# an altered ledger row (ledger verify names it), a record dropped on one
# side and a quantity changed on another (reconcile names exactly those).
# Then the faults: the visited broker killed (SIGKILL) while calls go on,
# after which every record the agent acknowledged is in both ledgers
# exactly once; the agent killed with records still in its spool, which
# drain once it is back. Prints "N passed, N failed".
set -u
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/roaming.inc"
cd "$WORK" || exit 1

roaming_pki
roaming_agreement hv voice:minute:12 message:message:2
roaming_brokers "checkpoint_records = 20"
roaming_agent "usage_retry_max = 1s
usage_timeout = 2s"
V=visited.example
H=home.example

start broker-home "$BROKER" run -c $H.conf
start broker-visited "$BROKER" run -c $V.conf
ok "home and visited brokers peer" wait_for 20 peer_up $V $H
ok "alice is provisioned at home" add_sub alice 'Roam-Wide-2026!' voice,message
start agent "$AGENT" run -c agent.conf
ok "Kamailio starts" roaming_start_kamailio
roaming_start_uas
ok "alice registers through the visited Kamailio" \
    sipp_run register register.xml alice 'Roam-Wide-2026!'

# --- usage, from the network to both ledgers
sipp_field=$(now_date)
ok "alice sends three MESSAGEs" sipp_run messages message.xml alice x -m 3
sipp_field="User-Agent: settlement test"
ok "alice makes three calls (two seconds each)" sipp_run calls invite.xml alice x -m 3 -l 3
ok "the agent's spool holds six records" spool_is 6 "SELECT count(*) FROM record"

# ids in a ledger, sorted: ours (origin 0) at visited, theirs (1) at home
ids() { ledger "$1" "SELECT id FROM records WHERE origin = $2 ORDER BY id"; }
spool_ids() { spool "SELECT id FROM record ORDER BY id"; }
all_arrived() {	# every spool record once in both ledgers, nothing pending
	spool_is 0 "SELECT count(*) FROM record WHERE state != 'sent'" &&
	    [ "$(spool_ids)" = "$(ids $V 0)" ] && [ "$(spool_ids)" = "$(ids $H 1)" ]
}
ok "the records reach the visited ledger, then the home ledger" wait_for 20 all_arrived
ok "  ... none flagged by the home's check (alice's assertion, her realm, her services)" \
    ledger_is 0 $H "SELECT count(*) FROM records WHERE flags != ''"
ok "  ... the calls last 2 or 3 seconds, the messages are 1 each" \
    ledger_is "3 3" $H "SELECT sum(service = 'voice' AND quantity BETWEEN 2 AND 3) || ' ' ||
    sum(service = 'message' AND quantity = 1) FROM records"
ok "ledger verify: the visited chain and checkpoints hold" "$BROKER" ledger verify -c $V.conf
ok "ledger verify: the home chain holds" "$BROKER" ledger verify -c $H.conf

# --- export on both sides, then reconcile
FROM=$(date -u -d yesterday +%F)
TO=$(date -u -d tomorrow +%F)
export_as() {	# realm partner file [format]
	"$BROKER" export -c "$1.conf" --partner "$2" --from "$FROM" --to "$TO" \
	    --format "${4:-xml}" --out "$3"
}
ok "visited exports its records with home (XML)" export_as $V $H v.xml
ok "home exports its records with visited (XML)" export_as $H $V h.xml
ok "both export CSV too" eval 'export_as $V $H v.csv csv && export_as $H $V h.csv csv'
ok "stock openssl verifies an export's signature" openssl cms -verify -binary \
    -inform DER -in v.xml.sig -content v.xml -CAfile ca/ca.crt -out /dev/null
ok "xmllint: the export is valid against the XSD" \
    xmllint --noout --nonet --schema "$TOP/schemas/roamtrust.xsd" h.xml
ok "the export prices the calls by the minute and the messages at 2" \
    eval 'grep -q "<Total service=\"message\"[^>]* records=\"3\" quantity=\"3\" amountMinor=\"6\"" v.xml'
reconcile() {	# ours theirs [args]: exit status and out.txt
	"$BROKER" reconcile -c $V.conf "$@" >out.txt 2>&1
}
reconcile v.xml h.xml --csv d.csv --html report.html
ok "reconcile: both sides agree (exit 0)" test $? -eq 0
ok "  ... the summary says so" grep -q "AGREE within tolerance" out.txt
ok "  ... the HTML report has its chart" grep -q "<svg" report.html
reconcile v.csv h.csv
ok "reconcile of the CSV forms agrees too" test $? -eq 0

sed '0,/<Quantity>1<\/Quantity>/s//<Quantity>9<\/Quantity>/' h.xml >tampered.xml
cp h.xml.sig tampered.xml.sig
reconcile v.xml tampered.xml
rc=$?
ok "a tampered export: exit 2, the signature named" \
    eval '[ $rc -eq 2 ] && grep -q signature out.txt'

# an altered row: a copy of the live ledger (.backup is consistent while
# the broker writes), one quantity changed
sqlite3 "$WORK/state-$V/ledger.db" ".backup altered.db"
ALTERED=$(sqlite3 altered.db "SELECT id FROM records WHERE service = 'voice' ORDER BY id LIMIT 1")
sqlite3 altered.db "UPDATE records SET quantity = quantity + 60 WHERE id = '$ALTERED'"
"$BROKER" ledger verify -c $V.conf --db altered.db >verify.out 2>&1
ok "ledger verify fails on the altered row (exit 1)..." test $? -eq 1
ok "  ... and names it" grep -q "$ALTERED" verify.out

# home loses one record and counts another differently
sqlite3 "$WORK/state-$H/ledger.db" ".backup home-copy.db"
DROPPED=$(sqlite3 home-copy.db "SELECT id FROM records WHERE service = 'message' ORDER BY id LIMIT 1")
CHANGED=$(sqlite3 home-copy.db "SELECT id FROM records WHERE service = 'voice' ORDER BY id LIMIT 1")
sqlite3 home-copy.db "DELETE FROM records WHERE id = '$DROPPED';
    UPDATE records SET quantity = quantity + 120 WHERE id = '$CHANGED'"
"$BROKER" export -c $H.conf --db home-copy.db --partner $V --from "$FROM" --to "$TO" \
    --out h-bad.xml >/dev/null 2>&1
reconcile v.xml h-bad.xml --csv d-bad.csv
ok "reconcile with one record dropped and one changed: exit 1" test $? -eq 1
ok "  ... two records named, no other" \
    test "$(tail -n +2 d-bad.csv | cut -d, -f2 | sort -u | wc -l)" -eq 2
ok "  ... the dropped record, missing in theirs" grep -q "^missing-in-theirs,$DROPPED," d-bad.csv
ok "  ... the changed one, by its quantity" grep -q "^quantity,$CHANGED," d-bad.csv

# --- faults: the visited broker killed while calls go on
before=$(spool "SELECT count(*) FROM record")
sipp_port=$UAC_PORT
start calls sipp -sf "$SCEN/invite.xml" -inf users-calls.csv -au alice -ap x \
    -i 127.0.0.1 -p "$sipp_port" -m 40 -r 10 -l 20 -timeout 60s -nostdin \
    "127.0.0.1:$SIP_PORT"
CALLS_PID=$(cat "$WORK/calls.pid")
sleep 1.5
ok "the visited broker is killed (SIGKILL) while calls go on" crash broker-visited
sleep 1
start broker-visited "$BROKER" run -c $V.conf
ok "  ... it starts again and peers" wait_for 20 peer_up $V $H
calls_done() { ! running calls; }
ok "  ... the calls go on and end" wait_for 60 calls_done
wait "$CALLS_PID"
ok "  ... sipp saw every call succeed" test $? -eq 0
ok "  ... the agent stored 40 more records" \
    spool_is $((before + 40)) "SELECT count(*) FROM record"
ok "every record the agent acknowledged is in both ledgers exactly once" \
    wait_for 30 all_arrived
ok "  ... the home received batches without a gap or a repeat" \
    ledger_is 1 $H "SELECT count(*) = max(seq) FROM batches_in"
ok "  ... and both chains still verify" \
    eval '"$BROKER" ledger verify -c $V.conf && "$BROKER" ledger verify -c $H.conf'

# --- faults: the agent killed with records in its spool
stop broker-visited
sipp_field=$(now_date)
ok "with its broker down, alice's MESSAGEs are still delivered" \
    sipp_run late message.xml alice x -m 2
ok "  ... their records wait in the spool" \
    spool_is 2 "SELECT count(*) FROM record WHERE state != 'sent'"
ok "the agent is killed (SIGKILL)" crash agent
start broker-visited "$BROKER" run -c $V.conf
start agent "$AGENT" run -c agent.conf
ok "after both are back, the spool drains into both ledgers" wait_for 30 all_arrived
ok "Kamailio logged no usage report the agent did not store" \
    eval '! grep -q "NOT stored by the agent" "$WORK/kamailio.log"'

for n in uas kamailio agent broker-visited broker-home; do stop "$n"; done
finish
