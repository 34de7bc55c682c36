#!/bin/bash
# Three brokers form a federation on 127.0.0.1 with certificates made by
# roamtrust-pki and the CRL published over HTTP by a small local server.
# Checks: all peers up; a revoked realm is cut by the other two within one
# CRL refresh interval and `peers` says why; brokers restarted in any order
# come back; a silent peer goes down after missed pings and comes back; a
# CRL fetched by one broker is pushed to a peer that cannot fetch it; a
# certificate that expires takes its peer down; and a broker refuses (with
# a log line naming the reason) every bad frame and bad peer, and keeps
# serving. TLS clients nng refuses before we see them (no certificate,
# another CA, expired) are logged from the listener's counters.
set -u
. "$(dirname "$0")/common.inc"

REFRESH=2	# crl_refresh, seconds
FT="$TOOLS/rt_frame_tool"

cd "$WORK" || exit 1
CRLPORT=$(free_port)
CRLURL="http://127.0.0.1:$CRLPORT/federation.crl"
mkdir -p www agreements

# --- PKI: federation CA, realms, CRL, agreements ---
"$PKI" init --dir ca --name "IT Federation" --crl-url "$CRLURL" >/dev/null
realm_cert() {	# realm
	"$PKI" request --realm "$1" --out "$1" >/dev/null &&
	    "$PKI" issue --dir ca --csr "$1/$1.csr" --realm "$1" --out "$1/$1.crt" >/dev/null
}
# f.example: a member of the federation with no agreement with anyone
for r in a.example b.example c.example d.example f.example; do
	realm_cert "$r"
done
# e.example: a certificate that expires 40 seconds from now (openssl ca,
# since roamtrust-pki issues whole days)
cat >shortlived.cnf <<EOF
[ca]
default_ca = it
[it]
database = $WORK/sl-index.txt
new_certs_dir = $WORK
serial = $WORK/sl-serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth,emailProtection
subjectAltName = DNS:\${ENV::RT_SAN}
EOF
: >sl-index.txt
echo 2000 >sl-serial
shortlived() {	# realm start end (openssl ca dates)
	"$PKI" request --realm "$1" --out "$1" >/dev/null &&
	    RT_SAN=$1 openssl ca -batch -notext -config shortlived.cnf -extensions ext \
	    -cert ca/ca.crt -keyfile ca/ca.key -startdate "$2" -enddate "$3" \
	    -in "$1/$1.csr" -out "$1/$1.crt" >/dev/null 2>&1
}
shortlived e.example "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
    "$(date -u -d '+40 seconds' +%Y%m%d%H%M%SZ)"
publish_crl() {
	"$PKI" crl --dir ca --days 7 --out www/federation.crl.new >/dev/null &&
	    mv www/federation.crl.new www/federation.crl
}
publish_crl
agreement() {	# home visited file [only-home]
	"$PKI" agreement new --home "$1" --visited "$2" --service voice:minute:12 \
	    --service message:message:2 --currency EUR --out "agreements/$3.xml" >/dev/null &&
	    "$PKI" agreement sign --key "$1/$1.key" --cert "$1/$1.crt" "agreements/$3.xml" >/dev/null &&
	    if [ -z "${4:-}" ]; then
		"$PKI" agreement sign --key "$2/$2.key" --cert "$2/$2.crt" "agreements/$3.xml" >/dev/null
	    fi
}
agreement a.example b.example ab
agreement b.example c.example bc
agreement c.example a.example ca
agreement e.example a.example ea
# d.example: an agreement with a.example signed by d alone (not valid)
agreement d.example a.example da-half only-home

declare -A PORT MPORT
for r in a b c e; do
	PORT[$r]=$(free_port)
	MPORT[$r]=$(free_port)
done
# b fetches from a file nobody updates: it learns of revocations by push
mkdir -p www-b
CRLURL_b="file://$WORK/www-b/federation.crl"
conf() {	# short name (a, b, c)
	r=$1
	{
		cat <<EOF
[broker]
realm = $r.example
key = $WORK/$r.example/$r.example.key
cert = $WORK/$r.example/$r.example.crt
ca = $WORK/ca/ca.crt
crl_url = $(if [ "$r" = b ]; then echo "$CRLURL_b"; else echo "$CRLURL"; fi)
crl_refresh = $(if [ "$r" = b ]; then echo 600s; else echo "${REFRESH}s"; fi)
listen = tls+tcp://127.0.0.1:${PORT[$r]}
agreements = $WORK/agreements
state_dir = $WORK/state-$r
metrics_listen = 127.0.0.1:${MPORT[$r]}
ping_interval = 1s
ping_misses = 3
request_timeout = 3s
EOF
		for p in a b c e; do
			[ "$p" = "$r" ] && continue
			# e peers with a only
			[ "$p" = e ] && [ "$r" != a ] && continue
			[ "$r" = e ] && [ "$p" != a ] && continue
			printf '\n[peer.%s.example]\nendpoint = tls+tcp://127.0.0.1:%s\n' "$p" "${PORT[$p]}"
		done
	} >"$r.conf"
}
for r in a b c e; do conf $r; done
cp www/federation.crl www-b/federation.crl

start httpd "$TOOLS/rt_test_httpd" --port "$CRLPORT" --dir www
wait_for 5 http_get "$CRLPORT" /federation.crl
for r in a b c e; do
	start "broker-$r" "$BROKER" run -c "$r.conf"
done

# peer_state BROKER PEER: prints the state column of `peers`
peer_state() {
	"$BROKER" peers -c "$1.conf" 2>/dev/null | awk -v p="$2.example" '$1 == p { print $2 }'
}
peer_line() {
	"$BROKER" peers -c "$1.conf" 2>/dev/null | grep "^$2.example "
}
all_up() {
	for r in a b c; do
		for p in a b c; do
			[ "$r" = "$p" ] && continue
			[ "$(peer_state $r $p)" = up ] || return 1
		done
	done
}

metrics_three_up() {
	http_get "${MPORT[a]}" /metrics | grep -q 'roamtrust_peers{state="up"} 3'
}
rtt_shown() {
	peer_line a b | grep -q 'ms'
}
ok "check accepts the three configurations" "$BROKER" check -c a.conf
ok "all six peer links come up" wait_for 20 all_up
ok "status answers over the admin socket" "$BROKER" status -c a.conf
ok "the admin socket is mode 0600" test "$(stat -c %a state-a/admin.sock)" = 600
e_is() { [ "$(peer_state a e)" = "$1" ]; }
ok "a and e (short-lived certificate) are up" wait_for 10 e_is up
ok "/metrics reports a's three peers up" metrics_three_up
ok "pings measure a round-trip time" wait_for 5 rtt_shown

# --- negative: frames and peers the broker must refuse ---
ft() {	# mode [extra args...]: one run of the frame tool against broker a
	mode=$1
	shift
	"$FT" --url "tls+tcp://127.0.0.1:${PORT[a]}" --ca ca/ca.crt --server-name a.example \
	    --to a.example --mode "$mode" --timeout-ms 1500 "$@" 2>>"$WORK/ft.err" |
	    tee -a "$WORK/ft.out"
}
AB=$(sed -n 's/.*id="\([^"]*\)".*/\1/p' agreements/ab.xml | head -1)
as_b() { ft "$1" --key b.example/b.example.key --cert b.example/b.example.crt \
    --agreement "$AB" "${@:2}"; }
as_d() { ft "$1" --key d.example/d.example.key --cert d.example/d.example.crt "${@:2}"; }
as_f() { ft "$1" --key f.example/f.example.key --cert f.example/f.example.crt "${@:2}"; }
# TLS refusals happen inside nng, which names no peer: broker a logs how many
# its listener refused, by reason, at its next tick
tls_total() {
	sed -n 's/.*event=tls_refused reason=[a-z]* count=\([0-9]*\).*/\1/p' \
	    "$WORK/broker-a.log" | awk '{ s += $1 } END { print s + 0 }'
}
tls_more() { [ "$(tls_total)" -gt "$1" ]; }
# expect "pattern" CMD...: the last line CMD prints matches
expect() {
	pattern=$1
	shift
	"$@" | tail -1 | grep -Eq "$pattern"
}
# never "pattern" CMD...: no line CMD prints matches
never() {
	pattern=$1
	shift
	! "$@" | grep -Eq "$pattern"
}

ok "a valid hello from b is answered" expect 'reply: Hello' as_b hello
ok "replayed frame: no second reply" expect 'no-reply' as_b replay
ok "  ... and the log names it (replay)" wait_for 3 logged broker-a 'event=frame_refused reason=replay'
ok "frame for another realm: refused" expect 'no-reply' as_b wrong-recipient --to2 c.example
ok "  ... log: audience" wait_for 3 logged broker-a 'event=frame_refused reason=audience'
ok "stale timestamp: refused" expect 'no-reply' as_b stale
ok "  ... log: expired" wait_for 3 logged broker-a 'event=frame_refused reason=expired'
ok "tampered frame: refused" expect 'no-reply' as_b tamper
ok "  ... log: sig_bad" wait_for 3 logged broker-a 'event=frame_refused reason=sig_bad'
ok "oversize frame: refused" never 'reply: ' as_b oversize
ok "  ... log: too_big" wait_for 3 logged broker-a 'event=frame_refused reason=too_big'
ok "garbage bytes: refused" never 'reply: ' as_b garbage
ok "  ... log: bad_input" wait_for 3 logged broker-a 'event=frame_refused reason=bad_input'
ok "ping without a hello on the connection: refused" \
    never 'reply: Pong' as_b raw-ping
ok "  ... log: denied, no hello on this connection" \
    wait_for 3 logged broker-a 'event=item_refused realm=b.example reason=denied detail=no-hello-on-this-connection'
ok "no agreement (d.example, agreement signed by d only): hello refused" \
    expect 'reply: Refusal reason=no_agreement' as_d hello
ok "  ... the one-sided agreement was not loaded (signers)" \
    logged broker-a 'event=agreement_refused file=.*da-half.xml reason=signers'
ok "no agreement at all (f.example, a member with no agreement file): hello refused" \
    expect 'reply: Refusal reason=no_agreement' as_f hello
ok "  ... the log names the realm and the reason" \
    wait_for 3 logged broker-a 'event=hello_refused realm=f.example reason=no_agreement'
n=$(tls_total)
ok "TLS client without a certificate: no connection" expect 'connect-failed' ft no-cert
ok "  ... broker a logs the refused TLS connection with its reason" \
    wait_for 4 tls_more "$n"

# certificate from another CA, and an expired one (made with openssl ca)
"$PKI" init --dir otherca --name "Other CA" >/dev/null
"$PKI" request --realm b.example --out other >/dev/null
"$PKI" issue --dir otherca --csr other/b.example.csr --realm b.example --out other/b.example.crt >/dev/null
n=$(tls_total)
ok "certificate from another CA: no connection" expect 'connect-failed' \
    ft hello --key other/b.example.key --cert other/b.example.crt
ok "  ... broker a logs the refused TLS connection with its reason" \
    wait_for 4 tls_more "$n"
cat >expired.cnf <<EOF
[ca]
default_ca = it
[it]
database = $WORK/expired-index.txt
new_certs_dir = $WORK
serial = $WORK/expired-serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth,emailProtection
subjectAltName = DNS:b.example
EOF
: >expired-index.txt
echo 1000 >expired-serial
"$PKI" request --realm b.example --out expired >/dev/null
openssl ca -batch -notext -config expired.cnf -extensions ext -cert ca/ca.crt -keyfile ca/ca.key \
    -startdate 20200101000000Z -enddate 20200102000000Z -in expired/b.example.csr \
    -out expired/b.example.crt >/dev/null 2>&1
n=$(tls_total)
ok "expired certificate: no connection" expect 'connect-failed' \
    ft hello --key expired/b.example.key --cert expired/b.example.crt
ok "  ... broker a logs the refused TLS connection with its reason" \
    wait_for 4 tls_more "$n"
ok "/metrics counts TLS refusals by reason, frames by kind" \
    eval 'http_get "${MPORT[a]}" /metrics | grep -Eq "^roamtrust_tls_refused_total\{reason=\"[a-z]+\"\} [1-9]" &&
    http_get "${MPORT[a]}" /metrics | grep -Eq "^roamtrust_frames_in_total\{kind=\"request\"\} [1-9]"'

sed -e 's/^realm = a.example/realm = d.example/' -e 's|state-a|state-wrong|' \
    -e "s|^listen = .*|listen = tls+tcp://127.0.0.1:$(free_port)|" a.conf >wrong.conf
ok "a broker whose realm is not its certificate's SAN refuses to start" \
    eval '! timeout 10 "$BROKER" run -c wrong.conf 2>wrong.log'
ok "  ... and says why" grep -q 'event=identity_mismatch' wrong.log
ok "after all that, broker a still serves: peers up" wait_for 10 all_up
ok "broker a is still running" running broker-a

# --- a silent peer: b frozen, a gives up after missed pings, then b is back ---
kill -STOP "$(cat broker-b.pid)"
b_silent() { peer_line a b | grep -q 'no answer to 3 pings'; }
ok "b frozen: a takes it down after 3 unanswered pings" wait_for 20 b_silent
kill -CONT "$(cat broker-b.pid)"
ok "b thawed: a and b are up again" wait_for 20 all_up

# --- revocation: c.example revoked, CRL published over HTTP ---
"$PKI" revoke --dir ca --cert c.example/c.example.crt --reason keyCompromise >/dev/null
publish_crl
revoked_seen() {	# not up, and the reason says revoked
	line=$(peer_line "$1" c)
	echo "$line" | grep -q revoked && ! echo "$line" | grep -q ' up '
}
ok "a cuts c within one refresh interval (+ slack) and says why" \
    wait_for $((REFRESH + 4)) revoked_seen a
ok "b, which cannot fetch the new CRL, cuts c too (pushed by a or c)" \
    wait_for $((REFRESH + 6)) revoked_seen b
ok "  ... b applied a pushed CRL" logged broker-b 'event=crl_applied number=2 source=[ac].example'
ok "  ... while b's own CRL source still has the old one" \
    eval '! cmp -s www/federation.crl www-b/federation.crl'
ok "a's log says the certificate was evicted as revoked" \
    logged broker-a 'event=cert_evicted realm=c.example reason=cert_revoked'
ok "a closed c's inbound connections" logged broker-a 'event=connection_closed realm=c.example'
a_sees_b() { [ "$(peer_state a b)" = "$1" ]; }
ok "a and b are still up with each other" a_sees_b up

# --- e's certificate expires (40 s after it was made): a, up with e since
# the start, takes it down and says why. Before the restarts below, so that a
# is the broker that saw e up, whatever the pace of the machine.
e_expired() { peer_line a e | grep -q 'certificate expired'; }
ok "e's certificate expired: a takes it down and says why" wait_for 50 e_expired

# --- restarts in any order: a and b come back ---
stop broker-b
ok "with b stopped, a says b is down" wait_for 10 a_sees_b down
stop broker-a
start broker-a "$BROKER" run -c a.conf
start broker-b "$BROKER" run -c b.conf
ab_up() { [ "$(peer_state a b)" = up ] && [ "$(peer_state b a)" = up ]; }
ok "after restarting a then b, a and b are up again" wait_for 20 ab_up
stop broker-a
stop broker-b
start broker-b "$BROKER" run -c b.conf
start broker-a "$BROKER" run -c a.conf
ok "after restarting b then a, a and b are up again" wait_for 20 ab_up
stop broker-a
sleep 1
start broker-a "$BROKER" run -c a.conf
ok "after restarting a alone, a and b are up again" wait_for 20 ab_up
ok "  ... b dialed a again on a's Hello, not at the end of its backoff" \
    logged broker-b 'event=peer_redial realm=a.example reason=hello-from-peer'
ok "c stays cut after the restarts" wait_for 10 revoked_seen a
e_no_agreement() { peer_line a e | grep -q 'no valid agreement'; }
ok "a, restarted, holds no valid agreement with e (its signer expired) and says so" \
    e_no_agreement
ok "  ... the log names the refused agreement" \
    logged broker-a 'event=agreement_refused file=.*ea.xml reason=cert_expired'
e_tls_failed() { peer_line a e | grep -q 'TLS handshake failed'; }
ok "  ... and its dials to e fail the TLS handshake, which peers says" \
    wait_for 10 e_tls_failed
ok "  ... logged once, not at every attempt" \
    eval '[ "$(grep -c "event=dial_failed realm=e.example endpoint=.* reason=auth" "$WORK/broker-a.log")" -eq 1 ]'

for r in a b c e; do stop "broker-$r"; done
stop httpd
finish
