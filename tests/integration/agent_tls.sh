#!/bin/bash
# The agent reaching its broker over tls+tcp:// with a certificate from the
# operator's own CA (roamtrust-pki init used for it), driven through its
# HTTP API without a proxy (this script is the proxy): alice of
# home.example is challenged (401), then her REGISTER with the right digest
# response goes through both brokers and gets 200. Then the agents that
# must not get through, each answering 503 to a REGISTER that needs the
# home realm: a certificate of the federation CA instead of the operator
# CA, one of a stranger's CA, a broker certificate from a CA the agent does
# not trust, a broker of another realm; and a client with no certificate at
# all; the broker logs why it refused (event=agent_tls_refused, and counts
# it in roamtrust_agent_tls_refused_total), and so does each agent
# (event=broker_dial_failed). Last, the agent's /metrics: checks by
# verdict, the latency histogram, the bindings, the broker round trip.
# Prints "N passed, N failed".
set -u
ROAMING_TOOLS=openssl	# no Kamailio, no sipp
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/roaming.inc"
cd "$WORK" || exit 1

AGENTS_PORT=$(free_port)	# the visited broker's agent listener
HOME_AGENTS_PORT=$(free_port)	# the home broker's
METRICS_PORT=$(free_port)	# the agent's /metrics
BROKER_METRICS_PORT=$(free_port)	# the visited broker's
OPCA=$WORK/opca/ca.crt

# --- PKI: the federation, the visited operator's own CA, agent certificates
roaming_pki
roaming_agreement hv voice:minute:12 message:message:2
ok "the visited operator's CA: roamtrust-pki init --dir opca" \
    "$PKI" init --dir opca --name "Visited Operator CA"
ok "  ... issues the agent's certificate" roaming_cert opca agent1.visited.example
ok "the federation CA issues one for the same name (the wrong CA for agents)" \
    roaming_cert ca agent1.visited.example fed-agent
ok "a stranger's CA issues one too" eval '"$PKI" init --dir rogue --name Rogue >/dev/null &&
    roaming_cert rogue agent1.visited.example rogue-agent'

# both brokers take agents over TLS with the operator CA (the home's is
# there to be dialled by mistake: it would take our agent's certificate)
roaming_broker_conf visited.example "$VISITED_PORT" home.example "$HOME_PORT" \
    "agent_listen = tls+tcp://127.0.0.1:$AGENTS_PORT
agent_ca = $OPCA
metrics_listen = 127.0.0.1:$BROKER_METRICS_PORT"
roaming_broker_conf home.example "$HOME_PORT" visited.example "$VISITED_PORT" \
    "agent_listen = tls+tcp://127.0.0.1:$HOME_AGENTS_PORT
agent_ca = $OPCA"

agent_conf() {	# name http_port certificate_dir broker_ca [broker_port] [extra]
	AGENT_PORT=$2 AGENT_STATE=$WORK/state-$1 \
	    AGENT_BROKER=tls+tcp://127.0.0.1:${5:-$AGENTS_PORT} roaming_agent \
	    "cert = $WORK/$3/agent1.visited.example.crt
key = $WORK/$3/agent1.visited.example.key
broker_ca = $4
${6:-}" && mv agent.conf "$1.conf"
}
agent_conf agent1 "$AGENT_PORT" agent1.visited.example "$WORK/ca/ca.crt" "" \
    "metrics_listen = 127.0.0.1:$METRICS_PORT"
ok "roamtrust-agent check accepts the tls+tcp agent" "$AGENT" check -c agent1.conf

start broker-home "$BROKER" run -c home.example.conf
start broker-visited "$BROKER" run -c visited.example.conf
ok "home and visited brokers peer" wait_for 20 peer_up visited.example home.example
ok "the visited broker listens for agents over TLS" \
    logged broker-visited "event=agents_listening url=tls\+tcp://127.0.0.1:$AGENTS_PORT"
ok "alice is provisioned at home" add_sub alice 'Roam-Wide-2026!' voice,message

# --- the agent's API, as a proxy calls it
md5() { printf '%s' "$1" | md5sum | cut -d' ' -f1; }
sip_register() {	# sport user cseq [authorization]
	printf 'REGISTER sip:home.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%s;branch=z9hG4bK-%s\r\nFrom: <sip:%s@home.example>;tag=t%s\r\nTo: <sip:%s@home.example>\r\nCall-ID: tls-%s@127.0.0.1\r\nCSeq: %s REGISTER\r\nContact: <sip:%s@127.0.0.1:%s>\r\nMax-Forwards: 70\r\nExpires: 600\r\n%sContent-Length: 0\r\n\r\n' \
	    "$1" "$1$3" "$2" "$1" "$2" "$1" "$3" "$2" "$1" "${4:+Authorization: $4$'\r\n'}"
}
check() {	# name agent_port sport: posts NAME.sip, answer in NAME.out
	agent_post "$2" "/v1/check?src=127.0.0.1&sport=$3&proto=udp" "$1.sip" >"$1.out"
}
status() { head -1 "$1.out" | cut -d' ' -f2; }
# A REGISTER, its challenge, then the REGISTER with the digest response of
# user:password (MD5, qop=auth): NAME-1.out the challenge, NAME-2.out the
# answer to the response.
roam_register() {	# name agent_port sport user password
	local uri=sip:home.example cnonce=c0ffee$3 nonce ha1 response
	sip_register "$3" "$4" 1 >"$1-1.sip" && check "$1-1" "$2" "$3" &&
	    [ "$(status "$1-1")" = 401 ] || return 1
	nonce=$(sed -n 's/^WWW-Authenticate: Digest .*nonce="\([^"]*\)".*/\1/p' "$1-1.out")
	ha1=$(md5 "$4:home.example:$5")
	response=$(md5 "$ha1:$nonce:00000001:$cnonce:auth:$(md5 "REGISTER:$uri")")
	sip_register "$3" "$4" 2 "Digest username=\"$4\", realm=\"home.example\", nonce=\"$nonce\", uri=\"$uri\", response=\"$response\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"$cnonce\"" \
	    >"$1-2.sip" && check "$1-2" "$2" "$3"
}

start agent "$AGENT" run -c agent1.conf
ok "the agent's API is up" wait_for 10 logged agent 'event=agent_started'
ok "  ... and it is connected to its broker over TLS" \
    wait_for 10 logged agent "event=broker_connected url=tls\+tcp://127.0.0.1:$AGENTS_PORT"
ok "alice's first REGISTER: challenged (401, realm home.example)" \
    eval 'roam_register alice "$AGENT_PORT" "$UAC_PORT" alice "Roam-Wide-2026!" &&
    grep -q "^WWW-Authenticate: Digest realm=\"home.example\"" alice-1.out'
ok "  ... her digest response, through the agent's TLS link to its broker: 200" \
    [ "$(status alice-2)" = 200 ]
ok "  ... the agent recorded the binding" logged agent 'event=registered aor=sip:alice@home.example'
ok "  ... the home broker issued the assertion" \
    logged broker-home 'event=auth_home visited=visited.example user=alice result=ok'
ok "a wrong password: challenged again (401)" eval \
    'roam_register wrong "$AGENT_PORT" "$(free_port)" alice "Not-Her-Password-1" &&
    [ "$(status wrong-2)" = 401 ]'

# --- TLS clients of the agents' listener, by hand
logged_since() {	# name lines regex: a line after the first LINES of its log matches
	tail -n +"$(($2 + 1))" "$WORK/$1.log" | grep -Eq "$3"
}
tls_client() {	# out [s_client args]: a handshake with the visited agents' listener
	out=$1
	shift
	openssl s_client -connect "127.0.0.1:$AGENTS_PORT" -CAfile ca/ca.crt \
	    -verify_hostname visited.example -verify_return_error "$@" </dev/null >"$out" 2>&1
}
lines=$(wc -l <broker-visited.log)
ok "a TLS client without a certificate: refused" eval '! tls_client no-cert.out'
ok "  ... the broker logged why" wait_for 5 logged_since broker-visited "$lines" \
    "event=agent_tls_refused reason=auth .*listen=tls\+tcp://127.0.0.1:$AGENTS_PORT"
ok "a TLS client with the agent's certificate: the broker's realm certificate verifies" \
    eval 'tls_client with-cert.out -cert agent1.visited.example/agent1.visited.example.crt \
    -key agent1.visited.example/agent1.visited.example.key &&
    grep -q "Verify return code: 0 (ok)" with-cert.out'
ok "an agent without a certificate of its own: roamtrust-agent check refuses it" \
    eval 'sed "/^cert = /d" agent1.conf >nocert.conf && ! "$AGENT" check -c nocert.conf'

# --- agents that must not reach the broker, each given the time the good
# agent needed many times over before its REGISTER
refused() {	# name [agent_port]: its authenticated REGISTER gets 503, Retry-After
	roam_register "$1" "${2:-$(cat "$1.port")}" "$(free_port)" alice 'Roam-Wide-2026!' &&
	    [ "$(status "$1-2")" = 503 ] && grep -q '^Retry-After: 7' "$1-2.out"
}
bad_agent() {	# name certificate_dir broker_ca [broker_port]
	free_port >"$1.port"
	agent_conf "$1" "$(cat "$1.port")" "$2" "$3" "${4:-}" &&
	    start "$1" "$AGENT" run -c "$1.conf" && wait_for 10 logged "$1" 'event=agent_started'
}
sleep 1.2	# the broker's watch has logged the clients above
lines=$(wc -l <broker-visited.log)
ok "an agent with a federation-CA certificate starts" bad_agent fed-agent fed-agent "$WORK/ca/ca.crt"
ok "an agent with a stranger's certificate starts" bad_agent rogue-agent rogue-agent "$WORK/ca/ca.crt"
ok "an agent that trusts the operator CA for the broker starts" \
    bad_agent wrong-ca agent1.visited.example "$OPCA"
ok "an agent dialling the home realm's broker starts" \
    bad_agent other-realm agent1.visited.example "$WORK/ca/ca.crt" "$HOME_AGENTS_PORT"
sleep 2
ok "federation-CA certificate: the visited broker refuses the agent (503)" refused fed-agent
ok "stranger's certificate: refused (503)" refused rogue-agent
ok "broker certificate not from broker_ca: the agent refuses the broker (503)" refused wrong-ca
ok "broker certificate for another realm: the agent refuses it (503)" refused other-realm
ok "  ... the visited broker logged why" logged_since broker-visited "$lines" \
    "event=agent_tls_refused reason=auth .*listen=tls\+tcp://127.0.0.1:$AGENTS_PORT"
dial_refused() {	# name...: each logged why, and never connected
	for n in "$@"; do
		logged "$n" "event=broker_dial_failed .*reason=auth .*detail=" &&
		    ! logged "$n" event=broker_connected || return 1
	done
}
ok "  ... and so did each agent, never connected" \
    dial_refused fed-agent rogue-agent wrong-ca other-realm
ok "  ... the broker counts them: roamtrust_agent_tls_refused_total" eval \
    'http_get "$BROKER_METRICS_PORT" /metrics |
    grep -Eq "^roamtrust_agent_tls_refused_total\{reason=\"auth\"\} [1-9]"'
ok "none of them reached the home broker" \
    [ "$(grep -c 'event=auth_home visited=visited.example user=alice' broker-home.log)" = 2 ]
for n in fed-agent rogue-agent wrong-ca other-realm; do stop "$n"; done

# --- the agent's /metrics
http_get "$METRICS_PORT" /metrics >metrics.txt
metric() { grep -E "^$1 " metrics.txt | awk '{ print $2 }'; }
checks() { metric "roamtrust_agent_checks_total\{status=\"$1\",reason=\"$2\"\}"; }
ok "metrics: checks by verdict and reason (2 challenges, 1 wrong, 1 registered)" \
    [ "$(checks 401 challenge) $(checks 401 wrong_credentials) $(checks 200 registered)" = "2 1 1" ]
# cumulative buckets, ending in +Inf = count = the 4 checks; a sum
histogram_ok() {	# name count
	awk -v n="$1" -v want="$2" '
	    index($0, n "_bucket{") == 1 { if ($2 < last) bad = 1; last = $2; buckets++; inf = $2 }
	    index($0, n "_count ") == 1 { count = $2 }
	    index($0, n "_sum ") == 1 { sum = $2 }
	    END { exit !(buckets >= 10 && !bad && inf == want && count == want && sum > 0) }' metrics.txt
}
ok "metrics: the latency histogram (_bucket, _sum, _count of the 4 checks)" \
    histogram_ok roamtrust_agent_check_seconds 4
ok "metrics: one binding held" [ "$(metric roamtrust_agent_bindings)" = 1 ]
ok "metrics: the broker round trip of both authentications" \
    histogram_ok roamtrust_agent_broker_rtt_seconds 2

# --- the broker goes away: the agent says so, and fails closed
stop broker-visited
ok "visited broker stopped: the agent logs the lost connection" \
    wait_for 5 logged agent "event=broker_disconnected url=tls\+tcp://127.0.0.1:$AGENTS_PORT"
ok "  ... a roamer's REGISTER gets 503, never 200" refused broker-gone "$AGENT_PORT"
ok "  ... and the agent logs why it cannot dial: refused" \
    wait_for 5 logged agent "event=broker_dial_failed .*reason=refused"

# --- revocation: the operator revokes agent1's certificate and gives the
# broker its CA's CRL (agent_crl): agent1 can no longer connect, an agent
# with another certificate of the same CA still can
ok "the operator revokes agent1's certificate and publishes its CRL" eval \
    '"$PKI" revoke --dir opca --cert agent1.visited.example/agent1.visited.example.crt \
    >/dev/null && "$PKI" crl --dir opca --out opca-crl.pem >/dev/null'
ok "  ... and issues another agent certificate" \
    roaming_cert opca agent2.visited.example
sed -i "s|^agent_ca = .*|&\nagent_crl = $WORK/opca-crl.pem|" visited.example.conf
ok "roamtrust-broker check accepts agent_crl" "$BROKER" check -c visited.example.conf
lines=$(wc -l <broker-visited.log 2>/dev/null || echo 0)
start broker-visited "$BROKER" run -c visited.example.conf
ok "the visited broker restarts with the CRL and peers again" \
    wait_for 20 peer_up visited.example home.example
A2_PORT=$(free_port)
agent_conf agent2 "$A2_PORT" agent2.visited.example "$WORK/ca/ca.crt"
sed -i 's/agent1\.visited\.example\.\(crt\|key\)/agent2.visited.example.\1/' agent2.conf
start agent2 "$AGENT" run -c agent2.conf
ok "agent2 (not revoked) connects" \
    wait_for 10 logged agent2 "event=broker_connected url=tls\+tcp://127.0.0.1:$AGENTS_PORT"
ok "  ... and alice registers through it (200)" \
    eval 'roam_register a2 "$A2_PORT" "$(free_port)" alice "Roam-Wide-2026!" &&
    [ "$(status a2-2)" = 200 ]'
ok "agent1 (revoked): its REGISTER gets 503, never 200" refused revoked "$AGENT_PORT"
ok "  ... it never connected again" \
    eval '[ "$(grep -c "event=broker_connected" "$WORK/agent.log")" = 1 ]'
ok "  ... and the broker logs the refused TLS client" wait_for 5 \
    logged broker-visited "event=agent_tls_refused reason=auth .*listen=tls\+tcp://127.0.0.1:$AGENTS_PORT"

for n in agent agent2 broker-visited broker-home; do stop "$n"; done
finish
