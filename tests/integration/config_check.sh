#!/bin/bash
# `check -c FILE` finds what `run` would refuse at start, and starts
# nothing: a good broker and agent configuration pass (exit 0, "ok: FILE"
# last); each broken variant fails with exit 1, a line naming the key, the
# file and the reason, and "N problems" last. A refused agreement is a
# warning only. Certificates from roamtrust-pki; no process is started.
set -u
. "$(dirname "$0")/common.inc"
AGENT="$RT_BIN/roamtrust-agent"

cd "$WORK" || exit 1
mkdir -p agreements
"$PKI" init --dir ca --name "Check Federation" --crl-url "file://$WORK/crl.pem" >/dev/null
"$PKI" init --dir otherca --name "Other Federation" >/dev/null
realm_cert() {	# realm ca-dir out-dir
	"$PKI" request --realm "$1" --out "$3" >/dev/null &&
	    "$PKI" issue --dir "$2" --csr "$3/$1.csr" --realm "$1" --out "$3/$1.crt" >/dev/null
}
realm_cert a.example ca a.example
realm_cert b.example ca b.example
realm_cert a.example otherca other
"$PKI" agreement new --home a.example --visited b.example --service voice:minute:12 \
    --currency EUR --out agreements/ab.xml >/dev/null
for r in a b; do
	"$PKI" agreement sign --key "$r.example/$r.example.key" \
	    --cert "$r.example/$r.example.crt" agreements/ab.xml >/dev/null
done
echo "this is not a certificate" >garbage.pem
cp a.example/a.example.key open.key
chmod 644 open.key
touch afile

cat >a.conf <<EOF
[broker]
realm = a.example
key = $WORK/a.example/a.example.key
cert = $WORK/a.example/a.example.crt
ca = $WORK/ca/ca.crt
crl_url = file://$WORK/crl.pem
listen = tls+tcp://127.0.0.1:7101
agreements = $WORK/agreements
state_dir = $WORK/state-a

[peer.b.example]
endpoint = tls+tcp://127.0.0.1:7102
EOF
cat >agent.conf <<EOF
[agent]
realm = a.example
broker = ipc://$WORK/state-a/agent.sock
state_dir = $WORK/state-agent
EOF
cat >agent-tls.conf <<EOF
[agent]
realm = a.example
broker = tls+tcp://broker.a.example:7103
broker_ca = $WORK/ca/ca.crt
cert = $WORK/a.example/a.example.crt
key = $WORK/a.example/a.example.key
state_dir = $WORK/state-agent
EOF

# passes BIN CONF: exit 0, "ok: CONF" last
passes() {
	"$1" check -c "$2" >"$2.out" 2>&1 && [ "$(tail -1 "$2.out")" = "ok: $2" ]
}
# refused BIN CONF PATTERN: exit 1, a line matching PATTERN, "N problems" last
refused() {
	"$1" check -c "$2" >"$2.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && grep -Eq -- "$3" "$2.out" &&
	    tail -1 "$2.out" | grep -Eq '^[0-9]+ problems?$'
}
# variant BASE NAME SED...: NAME.conf is BASE.conf edited by the sed scripts
variant() {
	base=$1
	name=$2
	shift 2
	args=()
	for e in "$@"; do args+=(-e "$e"); done
	sed "${args[@]}" "$base.conf" >"$name.conf"
}
# broken BIN BASE NAME WHAT PATTERN SED...: that variant is refused
broken() {
	bin=$1
	base=$2
	name=$3
	what=$4
	pattern=$5
	shift 5
	variant "$base" "$name" "$@"
	ok "$what: refused" refused "$bin" "$name.conf" "$pattern"
}

# --- the broker ---
ok "a good broker configuration passes" passes "$BROKER" a.conf
ok "  ... and says how many agreements would load" \
    grep -q 'realm a.example, 1 peer, 1 agreement would load' a.conf.out
ok "  ... and made nothing (state_dir is made by run)" test ! -e state-a

broken "$BROKER" a key-open "key of mode 0644" \
    "^key-open.conf: \[broker\] key: $WORK/open.key: .*mode 0644" \
    "s|^key = .*|key = $WORK/open.key|"
broken "$BROKER" a key-other "key that is not the certificate's" \
    "\[broker\] cert: $WORK/a.example/a.example.crt: does not match the key" \
    "s|^key = .*|key = $WORK/b.example/b.example.key|"
broken "$BROKER" a realm-other "certificate of another realm (run's identity check)" \
    "\[broker\] cert: $WORK/b.example/b.example.crt: its SAN dNSName is b.example, not realm a.example" \
    "s|^key = .*|key = $WORK/b.example/b.example.key|" \
    "s|^cert = .*|cert = $WORK/b.example/b.example.crt|"
broken "$BROKER" a ca-other "certificate from another CA" \
    "\[broker\] cert: $WORK/other/a.example.crt: certificate not issued by the trusted CA" \
    "s|^key = .*|key = $WORK/other/a.example.key|" \
    "s|^cert = .*|cert = $WORK/other/a.example.crt|"
broken "$BROKER" a ca-garbage "CA file that is garbage" \
    "\[broker\] ca: $WORK/garbage.pem: not a certificate" \
    "s|^ca = .*|ca = $WORK/garbage.pem|"
broken "$BROKER" a ca-leaf "CA file that is a realm certificate" \
    "\[broker\] ca: .*: not a self-signed CA certificate" \
    "s|^ca = .*|ca = $WORK/b.example/b.example.crt|"
broken "$BROKER" a no-agreements "missing agreements folder" \
    "\[broker\] agreements: $WORK/nowhere: not a folder that can be read" \
    "s|^agreements = .*|agreements = $WORK/nowhere|"
broken "$BROKER" a bad-port "peer endpoint with a garbage port" \
    "\[peer.b.example\] endpoint: tls\+tcp://127.0.0.1:garbage: no valid port" \
    "s|^endpoint = .*|endpoint = tls+tcp://127.0.0.1:garbage|"
broken "$BROKER" a bad-url "peer endpoint that is no URL" \
    "\[peer.b.example\] endpoint must be a tls\+tcp:// URL: garbage" \
    "s|^endpoint = .*|endpoint = garbage|"
broken "$BROKER" a state-file "state_dir that cannot be made" \
    "\[broker\] state_dir: $WORK/afile/state: missing, and cannot be made" \
    "s|^state_dir = .*|state_dir = $WORK/afile/state|"
broken "$BROKER" a ledger-nowhere "ledger in a missing folder" \
    "\[broker\] ledger: $WORK/nowhere/ledger.db: its folder $WORK/nowhere is missing" \
    "/^state_dir/a ledger = $WORK/nowhere/ledger.db"
variant a two "s|^key = .*|key = $WORK/open.key|" "s|^ca = .*|ca = $WORK/garbage.pem|"
ok "two problems: both named, counted" refused "$BROKER" two.conf "^2 problems$"
ok "  ... the key's" grep -q '\[broker\] key: ' two.conf.out
ok "  ... the CA's" grep -q '\[broker\] ca: ' two.conf.out

# an agreement signed by one realm only: run skips it, check warns
"$PKI" agreement new --home a.example --visited b.example --service message:message:2 \
    --currency EUR --out agreements/half.xml >/dev/null
"$PKI" agreement sign --key a.example/a.example.key --cert a.example/a.example.crt \
    agreements/half.xml >/dev/null
ok "a refused agreement is a warning: still ok" passes "$BROKER" a.conf
ok "  ... the warning names it and why" \
    grep -Eq "^warning: a.conf: \[broker\] agreements: $WORK/agreements/half.xml: refused: " a.conf.out
mkdir -p only-half
cp agreements/half.xml* only-half/
broken "$BROKER" a only-half "no agreement that would load" \
    "\[broker\] agreements: $WORK/only-half: no agreement would load \(1 refused\)" \
    "s|^agreements = .*|agreements = $WORK/only-half|"

# the CRL cached in state_dir: used when good, a warning when not
mkdir -m 700 state-crl
"$PKI" crl --dir ca --out state-crl/crl.pem >/dev/null
variant a crl-good "s|^state_dir = .*|state_dir = $WORK/state-crl|"
ok "a cached CRL is used" passes "$BROKER" crl-good.conf
ok "  ... so revocation is checked" eval '! grep -q "no cached CRL" crl-good.conf.out'
mkdir -m 700 state-badcrl
cp garbage.pem state-badcrl/crl.pem
variant a crl-bad "s|^state_dir = .*|state_dir = $WORK/state-badcrl|"
ok "a cached CRL that is garbage: a warning, still ok" passes "$BROKER" crl-bad.conf
ok "  ... naming it" grep -q "^warning: crl-bad.conf: \[broker\] state_dir: $WORK/state-badcrl/crl.pem: the cached CRL is not used" crl-bad.conf.out
"$PKI" revoke --dir ca --cert a.example/a.example.crt >/dev/null
"$PKI" crl --dir ca --out state-crl/crl.pem >/dev/null
ok "our certificate revoked by the cached CRL: refused" refused "$BROKER" crl-good.conf \
    "\[broker\] cert: $WORK/a.example/a.example.crt: certificate revoked"

ok "check without -c: a usage error (2)" eval '"$BROKER" check >/dev/null 2>&1; [ $? -eq 2 ]'
ok "check of a missing file: exit 1" eval '"$BROKER" check -c nope.conf >/dev/null 2>&1; [ $? -eq 1 ]'

# --- the agent ---
ok "a good agent configuration passes" passes "$AGENT" agent.conf
ok "a good agent configuration with a tls+tcp broker passes" passes "$AGENT" agent-tls.conf
ok "  ... and made nothing" test ! -e state-agent
broken "$AGENT" agent agent-noparent "agent state_dir whose parent is missing" \
    "\[agent\] state_dir: $WORK/nowhere/state: missing, and cannot be made: its parent is missing" \
    "s|^state_dir = .*|state_dir = $WORK/nowhere/state|"
broken "$AGENT" agent agent-fileparent "agent state_dir under a file" \
    "\[agent\] state_dir: $WORK/afile/state: missing, and cannot be made: its parent is not a folder" \
    "s|^state_dir = .*|state_dir = $WORK/afile/state|"
broken "$AGENT" agent agent-spool "agent spool in a missing folder" \
    "\[agent\] spool: $WORK/nowhere/spool.db: its folder $WORK/nowhere is missing" \
    "/^state_dir/a spool = $WORK/nowhere/spool.db"
if [ "$(id -u)" -ne 0 ]; then
	mkdir -p locked
	chmod 555 locked
	broken "$AGENT" agent agent-locked "agent state_dir under a folder we may not write" \
	    "its parent is not writable" "s|^state_dir = .*|state_dir = $WORK/locked/state|"
	chmod 755 locked
else
	echo "# skipped: a read-only parent (root writes anywhere)"
fi
broken "$AGENT" agent-tls agent-ca-garbage "agent broker_ca that is garbage" \
    "\[agent\] broker_ca: $WORK/garbage.pem: the TLS library refuses it" \
    "s|^broker_ca = .*|broker_ca = $WORK/garbage.pem|"
broken "$AGENT" agent-tls agent-key-open "agent key of mode 0644" \
    "\[agent\] key: $WORK/open.key: .*mode 0644" \
    "s|^key = .*|key = $WORK/open.key|"
broken "$AGENT" agent agent-listen "agent listen that is not a literal address" \
    "\[agent\] listen: localhost:8080: not a literal" \
    "/^state_dir/a listen = localhost:8080"
broken "$AGENT" agent-tls agent-noport "agent broker URL without a port" \
    "\[agent\] broker: tls\+tcp://broker.a.example: no valid port" \
    "s|^broker = .*|broker = tls+tcp://broker.a.example|"
finish
