#!/bin/bash
# The stale-CRL policy, with two real brokers on 127.0.0.1 that fetch their
# CRL over HTTP from a small local server: x keeps the default policy
# (crl_stale = fail-closed), y is set to fail-open. The CA publishes a CRL
# whose nextUpdate comes a few seconds later and then nothing: past it, x
# takes its peer down and says why, y keeps serving and says it is running
# on a stale CRL. Once a fresh CRL is published, both apply it and peer
# again. y's realm key is encrypted (PKCS#8, AES-256, as openssl writes it)
# and read with key_passphrase_file: nng's TLS library cannot decrypt that
# form itself, so this also shows the broker hands it the key decrypted.
set -u
. "$(dirname "$0")/common.inc"

REFRESH=1	# crl_refresh, seconds
cd "$WORK" || exit 1
CRLPORT=$(free_port)
CRLURL="http://127.0.0.1:$CRLPORT/federation.crl"
mkdir -p www agreements

"$PKI" init --dir ca --name "Stale CRL Federation" --crl-url "$CRLURL" >/dev/null
for r in x.example y.example; do
	"$PKI" request --realm "$r" --out "$r" >/dev/null &&
	    "$PKI" issue --dir ca --csr "$r/$r.csr" --realm "$r" --out "$r/$r.crt" >/dev/null
done
"$PKI" agreement new --home x.example --visited y.example --service voice:minute:12 \
    --currency EUR --out agreements/xy.xml >/dev/null
for r in x.example y.example; do
	"$PKI" agreement sign --key "$r/$r.key" --cert "$r/$r.crt" agreements/xy.xml >/dev/null
done
# y's key, encrypted with a passphrase from a 0600 file
printf 'a passphrase for y\n' >y.pass
chmod 600 y.pass
openssl pkcs8 -topk8 -v2 aes-256-cbc -in y.example/y.example.key \
    -passout file:y.pass -out y.example/y.enc.key
chmod 600 y.example/y.enc.key
publish_crl() {	# crl options...
	"$PKI" crl --dir ca "$@" --out www/federation.crl.new >/dev/null &&
	    mv www/federation.crl.new www/federation.crl
}
publish_crl --days 7

declare -A PORT MPORT
for r in x y; do
	PORT[$r]=$(free_port)
	MPORT[$r]=$(free_port)
done
conf() {	# short name, policy
	other=$([ "$1" = x ] && echo y || echo x)
	cat >"$1.conf" <<EOF
[broker]
realm = $1.example
key = $WORK/$1.example/$1.example.key
cert = $WORK/$1.example/$1.example.crt
ca = $WORK/ca/ca.crt
crl_url = $CRLURL
crl_refresh = ${REFRESH}s
crl_stale = $2
listen = tls+tcp://127.0.0.1:${PORT[$1]}
agreements = $WORK/agreements
state_dir = $WORK/state-$1
metrics_listen = 127.0.0.1:${MPORT[$1]}
ping_interval = 1s
ping_misses = 3
request_timeout = 3s

[peer.$other.example]
endpoint = tls+tcp://127.0.0.1:${PORT[$other]}
EOF
}
conf x fail-closed
conf y fail-open
sed -i -e "s|^key = .*|key = $WORK/y.example/y.enc.key\nkey_passphrase_file = $WORK/y.pass|" y.conf

start httpd "$TOOLS/rt_test_httpd" --port "$CRLPORT" --dir www
wait_for 5 http_get "$CRLPORT" /federation.crl
start broker-x "$BROKER" run -c x.conf
start broker-y "$BROKER" run -c y.conf

peer_line() {	# broker peer
	"$BROKER" peers -c "$1.conf" 2>/dev/null | grep "^$2.example "
}
state_is() {	# broker peer state
	[ "$(peer_line "$1" "$2" | awk '{ print $2 }')" = "$3" ]
}
both_up() { state_is x y up && state_is y x up; }
ok "x and y come up (y with its encrypted key)" wait_for 20 both_up
ok "  ... y's key file is encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" y.example/y.enc.key

# a CRL that goes stale STALE_IN seconds from now, and nothing after it
STALE_IN=6
publish_crl --next-update "$(date -u -d "+$STALE_IN seconds" +%Y-%m-%dT%H:%M:%SZ)"
ok "both apply the short-lived CRL" \
    wait_for 5 eval 'logged broker-x "event=crl_applied number=2 source=" &&
    logged broker-y "event=crl_applied number=2 source="'
x_closed() { peer_line x y | grep -q 'CRL expired (past nextUpdate)'; }
ok "past its nextUpdate, x (fail-closed) takes y down and says why" \
    wait_for $((STALE_IN + 6)) x_closed
ok "  ... and logs the policy it applied" \
    logged broker-x 'event=crl_stale policy=fail-closed'
ok "  ... status marks the CRL STALE" \
    eval '"$BROKER" status -c x.conf | grep -q STALE'
ok "/metrics: x's CRL is past its nextUpdate (negative seconds)" \
    eval 'http_get "${MPORT[x]}" /metrics | grep -Eq "^roamtrust_crl_next_update_seconds -[0-9]"'
ok "y (fail-open) logs that it runs on a stale CRL" \
    wait_for 5 logged broker-y 'event=crl_stale policy=fail-open'
ok "  ... and keeps running" running broker-y
ok "x stays closed while only the stale CRL is published (3 refreshes)" \
    eval 'sleep $((REFRESH * 3)); x_closed'

publish_crl --days 7
ok "a fresh CRL: both apply it" \
    wait_for 5 eval 'logged broker-x "event=crl_applied number=3 source=" &&
    logged broker-y "event=crl_applied number=3 source="'
ok "  ... and x and y are up again" wait_for 20 both_up
ok "  ... status no longer says STALE" \
    eval '! "$BROKER" status -c x.conf | grep -q STALE'

stop broker-x
stop broker-y
stop httpd
finish
