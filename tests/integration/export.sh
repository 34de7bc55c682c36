#!/bin/bash
# Settlement end to end with the real CLI: two realms' ledgers, `export` on
# both sides (XML and CSV), the files checked with stock tools alone
# (openssl cms -verify against the federation CA, xmllint against the XSD),
# then `reconcile`: agreement exits 0, a record dropped on one side or a
# quantity changed exits 1 naming exactly that record, a tampered file or
# the wrong CA exits 2. Prints "N passed, N failed".
set -u
. "$(dirname "$0")/common.inc"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FILL="$TOOLS/rt_ledger_fill"
N=500

for f in "$PKI" "$BROKER" "$FILL"; do
	[ -x "$f" ] || { echo "not ok - $f not built"; FAIL=1; finish; exit 1; }
done
cd "$WORK" || exit 1

# --- a federation, two realms, their agreement signed by both
"$PKI" init --dir ca --name "Settlement Test" --crl-url "file://$WORK/crl.pem" >/dev/null
for r in home.example visited.example; do
	"$PKI" request --realm "$r" --out "keys" >/dev/null
	"$PKI" issue --dir ca --csr "keys/$r.csr" --realm "$r" --out "keys/$r.crt" >/dev/null
done
"$PKI" crl --dir ca --out crl.pem >/dev/null
mkdir -p agreements
# one agreement per direction: home's subscribers in visited, and back
"$PKI" agreement new --home home.example --visited visited.example \
	--service voice:minute:12 --service message:message:2 --currency EUR \
	--out agreements/hv.xml >/dev/null
"$PKI" agreement new --home visited.example --visited home.example \
	--service voice:minute:12 --service message:message:2 --currency EUR \
	--out agreements/vh.xml >/dev/null
for a in hv vh; do
	for r in home.example visited.example; do
		"$PKI" agreement sign --key "keys/$r.key" --cert "keys/$r.crt" \
			agreements/$a.xml >/dev/null
	done
done
agreement_id() { sed -n 's/.*RoamingAgreement[^>]* id="\([0-9a-f-]*\)".*/\1/p' "$1"; }
AGREEMENT=$(agreement_id agreements/hv.xml)
AGREEMENT_B=$(agreement_id agreements/vh.xml)
ok "agreements made and signed by both realms" test -n "$AGREEMENT" -a -n "$AGREEMENT_B"

# broker.conf and a ledger per realm; the CRL where the broker caches it
realm_setup() {
	us=$1 partner=$2
	mkdir -p "$us/state"
	cp crl.pem "$us/state/crl.pem"
	cat >"$us/broker.conf" <<EOF
[broker]
realm = $us
key = $WORK/keys/$us.key
cert = $WORK/keys/$us.crt
ca = $WORK/ca/ca.crt
crl_url = file://$WORK/crl.pem
listen = tls+tcp://127.0.0.1:$(free_port)
agreements = $WORK/agreements
state_dir = $WORK/$us/state
EOF
	shift 2
	"$FILL" --db "$us/state/ledger.db" --us "$us" --partner "$partner" \
		--records "$N" --agreement "$AGREEMENT" --agreement-b "$AGREEMENT_B" "$@"
}
realm_setup visited.example home.example
realm_setup home.example visited.example --skip-every 100
ok "ledgers filled" test -s visited.example/state/ledger.db

# --- export on both sides
V=visited.example H=home.example
ok "visited exports XML" "$BROKER" export -c $V/broker.conf --partner $H \
	--from 2026-11-01 --to 2026-12-01T00:00:00Z --out v.xml
ok "visited exports CSV" "$BROKER" export -c $V/broker.conf --partner $H \
	--from 2026-11-01 --to 2026-12-01 --format csv --out v.csv
ok "home exports CSV" "$BROKER" export -c $H/broker.conf --partner $V \
	--from 2026-11-01 --to 2026-12-01 --format csv --out h.csv
ok "export refuses to overwrite" sh -c "! '$BROKER' export -c $V/broker.conf \
	--partner $H --from 2026-11-01 --to 2026-12-01 --out v.xml"
ok "export --force overwrites" "$BROKER" export -c $V/broker.conf --partner $H \
	--from 2026-11-01 --to 2026-12-01 --out v.xml --force
ok "export with a bad period is a usage error" sh -c "'$BROKER' export -c \
	$V/broker.conf --partner $H --from 2026-12-01 --to nope --out x.xml; [ \$? -eq 2 ]"

chmod 644 keys/$V.key
"$BROKER" export -c $V/broker.conf --partner $H --from 2026-11-01 --to 2026-12-01 \
	--out never.xml >out.txt 2>&1
ok "export refuses a realm key others can read" sh -c "[ $? -eq 1 ] && ! [ -e never.xml ]"
chmod 600 keys/$V.key

# --- anyone can check the files with stock tools
for f in v.xml v.csv h.csv; do
	ok "openssl cms -verify $f" openssl cms -verify -binary -inform DER \
		-in "$f.sig" -content "$f" -CAfile ca/ca.crt -purpose any -out /dev/null
done
ok "xmllint: the XML export is valid against the XSD" \
	xmllint --noout --nonet --schema "$TOP/schemas/roamtrust.xsd" v.xml
ok "the CSV has the header and one line per record" sh -c \
	"head -1 v.csv | grep -q '^id,agreement,assertion,subscriber,home,visited,service,call_id,start,end,quantity,unit,amount_minor,flags,unpriced' &&
	 [ \$(grep -c '^019a6b1e-' v.csv) -eq $N ]"
ok "every record is priced" sh -c "! grep -q 'unpriced=' v.xml"
ok "XML and CSV totals carry the same amount" sh -c \
	"[ \$(grep '^total,' v.csv | cut -d, -f13 | paste -sd+ | bc) -eq \
	   \$(grep -o '<Total [^>]*amountMinor=\"[0-9]*\"' v.xml | sed 's/.*amountMinor=\"//; s/\"//' | paste -sd+ | bc) ]"

# --- reconcile
"$BROKER" reconcile -c $V/broker.conf v.xml v.csv >out.txt 2>&1
ok "an export against itself is refused (same issuer twice)" test $? -eq 2
"$BROKER" reconcile -c $V/broker.conf v.csv h.csv --csv d.csv --html r.html >out.txt 2>&1
rc=$?
ok "home dropped every 100th record: exit 1" test $rc -eq 1
ok "exactly those records are missing in theirs" sh -c \
	"[ \$(grep -c '^missing-in-theirs,' d.csv) -eq $((N / 100)) ] && [ \$(wc -l <d.csv) -eq $((N / 100 + 1)) ]"
ok "the summary says so" grep -q "missing-in-theirs *$((N / 100))" out.txt
ok "the HTML report is written with its chart" grep -q "<svg" r.html

rm -f $H/state/ledger.db*
realm_setup home.example visited.example
"$BROKER" export -c $H/broker.conf --partner $V --from 2026-11-01 --to 2026-12-01 \
	--out h.xml >/dev/null 2>&1
"$BROKER" reconcile --ca ca/ca.crt --crl crl.pem v.xml h.xml --csv d.csv >out.txt 2>&1
ok "the same records on both sides: exit 0" test $? -eq 0
ok "agreement is reported" grep -q "AGREE within tolerance" out.txt
"$BROKER" reconcile --ca ca/ca.crt --crl crl.pem v.csv h.xml >out.txt 2>&1
ok "mixed formats agree too" test $? -eq 0
# a file open for writing elsewhere cannot be leased: it is read twice instead
exec 9>>h.xml
"$BROKER" reconcile --ca ca/ca.crt --crl crl.pem v.xml h.xml >out.txt 2>&1
rc=$?
exec 9>&-
ok "an export open for writing (not leased, hashed twice) still agrees" test $rc -eq 0

rm -f $H/state/ledger.db*
realm_setup home.example visited.example --bump-every 250
"$BROKER" export -c $H/broker.conf --partner $V --from 2026-11-01 --to 2026-12-01 \
	--format csv --out h2.csv >/dev/null 2>&1
"$BROKER" reconcile -c $V/broker.conf v.xml h2.csv --csv d.csv >out.txt 2>&1
ok "a second more on two records: exit 1" test $? -eq 1
ok "two quantity discrepancies" sh -c "[ \$(grep -c '^quantity,' d.csv) -eq 2 ]"
"$BROKER" reconcile -c $V/broker.conf v.xml h2.csv --tolerance-quantity 1 \
	--tolerance-amount 1 >out.txt 2>&1
ok "a message more is 2 cents: beyond an amount tolerance of 1" test $? -eq 1
"$BROKER" reconcile -c $V/broker.conf v.xml h2.csv --tolerance-quantity 1 \
	--tolerance-amount 2 >out.txt 2>&1
ok "within tolerances of 1 unit and 2 cents: exit 0" test $? -eq 0

sed '0,/<Quantity>2<\/Quantity>/s//<Quantity>3<\/Quantity>/' h.xml >h3.xml
cp h.xml.sig h3.xml.sig
ok "one quantity changed after signing" sh -c "! cmp -s h.xml h3.xml"
"$BROKER" reconcile -c $V/broker.conf v.xml h3.xml >out.txt 2>&1
ok "a tampered export: exit 2" test $? -eq 2
ok "and the signature is named" grep -q "signature" out.txt
ok "openssl agrees it is tampered" sh -c "! openssl cms -verify -binary -inform DER \
	-in h3.xml.sig -content h3.xml -CAfile ca/ca.crt -purpose any -out /dev/null 2>/dev/null"
"$PKI" init --dir other --name "Other" >/dev/null 2>&1
"$PKI" crl --dir other --out other-crl.pem >/dev/null 2>&1
"$BROKER" reconcile --ca other/ca.crt --crl other-crl.pem v.xml h.xml >out.txt 2>&1
ok "another federation's CA: exit 2" test $? -eq 2
"$BROKER" reconcile --ca ca/ca.crt --crl crl.pem v.xml missing.xml >out.txt 2>&1
ok "an unreadable file: exit 2" test $? -eq 2

finish
