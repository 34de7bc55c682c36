#!/bin/bash
# Roaming authentication end to end with a real proxy and a real client:
# a federation CA, two operators (home.example, visited.example), their
# agreement, alice provisioned at home; both brokers, the visited agent and
# the visited Kamailio; sipp registers alice through the visited Kamailio,
# sends a MESSAGE and makes a call to a sipp UAS. Kamailio reports usage to
# the agent: the MESSAGE, the calls (whole seconds from 200 to BYE) and a
# registration where the agreement bills it are records in the agent's
# spool, and refused requests are none. Then the negative runs.
set -u
. "$(dirname "$0")/common.inc"
top=$(cd "$(dirname "$0")/../.." && pwd)
AGENT="$RT_BIN/roamtrust-agent"
SCEN="$top/examples/sipp"

command -v kamailio >/dev/null && command -v sipp >/dev/null || {
	echo "not ok - kamailio and sipp are needed (make deps installs them)"
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
agreement() {	# file services...
	f=$1
	shift
	svc=()
	for s in "$@"; do svc+=(--service "$s"); done
	"$PKI" agreement new --home home.example --visited visited.example "${svc[@]}" \
	    --currency EUR --max-assertion 600 --out "agreements/$f.xml" >/dev/null &&
	    "$PKI" agreement sign --key home.example/home.example.key \
	    --cert home.example/home.example.crt "agreements/$f.xml" >/dev/null &&
	    "$PKI" agreement sign --key visited.example/visited.example.key \
	    --cert visited.example/visited.example.crt "agreements/$f.xml" >/dev/null
}
# voice, message and registration; not "video" (the no-service run asks for
# nothing else)
agreement hv voice:minute:12 message:message:2 registration:event:1

HOME_PORT=$(free_port)
VISITED_PORT=$(free_port)
broker_conf() {	# realm port peer peer_port
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
request_timeout = 2s
lockout_after = 3
lockout_time = 1h

[peer.$3]
endpoint = tls+tcp://127.0.0.1:$4
EOF
}
broker_conf home.example "$HOME_PORT" visited.example "$VISITED_PORT"
broker_conf visited.example "$VISITED_PORT" home.example "$HOME_PORT"

AGENT_PORT=$(free_port)
SIP_PORT=$(free_port)
UAS_PORT=$(free_port)
UAC_PORT=$(free_port)
cat >agent.conf <<EOF
[agent]
realm = visited.example
broker = ipc://$WORK/state-visited.example/agent.sock
listen = 127.0.0.1:$AGENT_PORT
state_dir = $WORK/state-agent
digest_algorithms = MD5
auth_timeout = 2s
retry_after = 7s
proxy_uris = 127.0.0.1:$SIP_PORT
security_server = digest;q=0.1
fail_limit_source = 50
fail_limit_identity = 50
EOF

start broker-home "$BROKER" run -c home.example.conf
start broker-visited "$BROKER" run -c visited.example.conf
peer_up() { "$BROKER" peers -c "$1.conf" 2>/dev/null | grep -q "^$2 *up"; }
ok "home and visited brokers peer" wait_for 20 peer_up visited.example home.example

add_sub() {	# private password [services]
	printf '%s\n' "$2" | "$BROKER" subscriber add "sip:$1@home.example" "$1" \
	    ${3:+--services "$3"} --password-stdin -c home.example.conf
}
ok "alice is provisioned at home" add_sub alice 'Roam-Wide-2026!' voice,message
ok "bob (message only) is provisioned" add_sub bob 'Sunny-Harbor-77' message
ok "carol is provisioned (she will be locked out)" add_sub carol 'Quiet-Forest-31' voice,message
ok "dave is provisioned for video only (not in the agreement)" add_sub dave 'Tall-Mountain-48' video
ok "erin is provisioned for message and registration" \
    add_sub erin 'Bright-River-52' message,registration
ok "the subscriber list shows alice, never a password" \
    eval '"$BROKER" subscriber list -c home.example.conf | grep -q "sip:alice@home.example" &&
    ! "$BROKER" subscriber list -c home.example.conf | grep -q "Roam-Wide"'

start agent "$AGENT" run -c agent.conf
start kamailio env RT_LISTEN="udp:127.0.0.1:$SIP_PORT" RT_RETRY_AFTER=7 \
    RT_AGENT="agent=>http://127.0.0.1:$AGENT_PORT/v1" RT_UAS="sip:127.0.0.1:$UAS_PORT" \
    kamailio -DD -E -f "$top/examples/kamailio/kamailio.cfg" -m 64 -M 16 -Y "$WORK/kamailio-run"
mkdir -p "$WORK/kamailio-run"
sip_up() { logged kamailio 'INFO: <core>.*main process|Listening on'; }
ok "Kamailio starts" wait_for 10 sip_up

# sipp helpers: user file and scenarios
sipp_port=$UAC_PORT
sipp_field=""	# a third injection field (Date, an extra header)
sipp_run() {	# name scenario user password [extra sipp args]
	name=$1 scen=$2 user=$3 pass=$4
	shift 4
	printf 'SEQUENTIAL\n%s;home.example;%s\n' "$user" "$sipp_field" >"users-$name.csv"
	sipp -sf "$SCEN/$scen" -inf "users-$name.csv" -au "$user" -ap "$pass" \
	    -i 127.0.0.1 -p "$sipp_port" \
	    -m 1 -timeout 15s -timeout_error -max_recv_loops 100 -nostdin \
	    -trace_msg -message_file "$WORK/$name.msg" "$@" \
	    "127.0.0.1:$SIP_PORT" >"$WORK/$name.out" 2>&1
}

ok "alice registers through the visited Kamailio (401 then 200)" \
    sipp_run register register.xml alice 'Roam-Wide-2026!'
ok "  ... the agent recorded the binding" logged agent 'event=registered aor=sip:alice@home.example'
ok "  ... the home broker issued the assertion" logged broker-home 'event=auth_home visited=visited.example user=alice result=ok'

# the UAS behind the visited proxy (in the foreground of its job: with -bg
# sipp forks, and stop would end the parent that already left)
start uas sipp -sf "$SCEN/uas.xml" -i 127.0.0.1 -p "$UAS_PORT" -trace_msg \
    -message_file "$WORK/uas.msg" -nostdin
sleep 1
now_date() { LC_ALL=C date -u -d "${1:-now}" '+%a, %d %b %Y %H:%M:%S GMT'; }

# the agent's usage spool, read with sqlite3
spool() { sqlite3 -readonly "$WORK/state-agent/spool.db" "$1"; }
spool_is() {	# expected sql
	[ "$(spool "$2")" = "$1" ]
}
ok "  ... a registration the agreement does not bill for alice is no record" \
    spool_is 0 "SELECT count(*) FROM record"

sipp_field=$(now_date)
ok "alice's MESSAGE with a fresh Date is delivered (200)" \
    sipp_run message message.xml alice x
ok "  ... it is a usage record: message, 1 message, alice, home.example" \
    spool_is 1 "SELECT count(*) FROM record WHERE service = 'message' AND
    quantity = 1 AND unit = 'message' AND subscriber = 'sip:alice@home.example'
    AND home = 'home.example' AND visited = 'visited.example'"
sipp_field="P-Preferred-Identity: <sip:boss@visited.example>"
ok "alice's call goes through (INVITE, 200, ACK, two seconds, BYE)" \
    sipp_run invite invite.xml alice x
ok "  ... the UAS got alice's asserted identity from the home realm" \
    grep -q '^P-Asserted-Identity: <sip:alice@home.example>' uas.msg
ok "  ... the call is a usage record: voice, 2 or 3 seconds from 200 to BYE" \
    spool_is 1 "SELECT count(*) FROM record WHERE service = 'voice' AND
    unit = 'second' AND quantity BETWEEN 2 AND 3 AND end_at - start_at = quantity
    AND subscriber = 'sip:alice@home.example' AND flags = ''"
ok "  ... and no call is left open" \
    spool_is 0 "SELECT count(*) FROM open_call WHERE closed_at IS NULL"
ok "  ... the records carry the assertion and agreement of alice's registration" \
    spool_is 1 "SELECT count(DISTINCT assertion_ref || agreement_ref) FROM record"
sipp_field="P-Asserted-Identity: <sip:boss@visited.example>"
ok "a call with a forged P-Asserted-Identity goes through..." \
    sipp_run invite-pai invite.xml alice x
ok "  ... and the forged identity never reaches the UAS" eval '! grep -q "boss@visited.example" uas.msg'
ok "  ... a second voice record, with its own Call-ID" \
    spool_is "2 2" "SELECT count(*) || ' ' || count(DISTINCT call_id) FROM record
    WHERE service = 'voice'"

# --- negative runs ---
sipp_field=$(now_date '-20 minutes')
ok "MESSAGE with a stale Date: 403" sipp_run stale message_refused.xml alice x
ok "  ... reason Stale Date" grep -q '403 Stale Date' stale.msg
ok "MESSAGE without a Date: 403" sipp_run nodate message_nodate.xml alice x
sipp_field=$(now_date)
sipp_port=$(free_port)
ok "alice from another source port (route changed): 403" \
    sipp_run moved message_refused.xml alice x
ok "  ... the agent logged the route change" logged agent 'event=route_changed aor=sip:alice@home.example'
sipp_port=$(free_port)
ok "wrong password: challenged again (401)" \
    sipp_run wrong register_rechallenged.xml alice 'Not-Her-Password-1'
ok "  ... home said wrong credentials" logged broker-home 'user=alice result=wrong-credentials'
for i in 1 2 3; do
	sipp_run "carol-wrong-$i" register_rechallenged.xml carol 'Guessing-Wrong-9' || true
done
ok "carol, locked after 3 failures, gets 403 even with her password" \
    sipp_run carol-locked register_refused.xml carol 'Quiet-Forest-31'
ok "  ... reason: locked" grep -q '403 Forbidden (account locked)' carol-locked.msg
ok "dave: no service of his is in the agreement: 403" \
    sipp_run dave register_refused.xml dave 'Tall-Mountain-48'
ok "  ... reason: service" grep -q 'service not allowed' dave.msg
bob_port=$(free_port)
sipp_port=$bob_port
ok "bob (message only) registers" sipp_run bob register.xml bob 'Sunny-Harbor-77'
ok "bob's call is refused: voice is not his service (403)" \
    sipp_run bob-call invite_refused.xml bob x
ok "  ... and no usage is recorded for him" \
    spool_is 0 "SELECT count(*) FROM record WHERE subscriber LIKE '%bob%'"
ok "refused MESSAGEs (stale, no Date, other route) are no records" \
    spool_is 1 "SELECT count(*) FROM record WHERE service = 'message'"
sipp_port=$(free_port)
ok "erin registers" sipp_run erin register.xml erin 'Bright-River-52'
# (the registrar answers before it reports: wait for the report)
ok "  ... her registration is a usage record (registration, 1 event)" \
    wait_for 5 spool_is 1 "SELECT count(*) FROM record WHERE service = 'registration' AND
    unit = 'event' AND quantity = 1 AND subscriber = 'sip:erin@home.example'"
# a report straight to the agent's API: nonsense is refused, stores nothing
bad_report() {
	exec 3<>"/dev/tcp/127.0.0.1/$AGENT_PORT" || return 1
	printf 'POST /v1/usage?event=start&src=127.0.0.1&sport=%s&proto=udp HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello' \
	    "$UAC_PORT" >&3
	cat <&3 >bad-report.out
	exec 3<&-
	head -1 bad-report.out | grep -q ' 400 ' && grep -q 'Bad Request (SIP message)' bad-report.out
}
ok "a usage report that is not SIP: 400, nothing stored" \
    eval 'bad_report && spool_is 4 "SELECT count(*) FROM record"'
drained() { spool_is "4 0" "SELECT count(*) || ' ' || sum(state != 'sent') FROM record"; }
ok "the agent's records reach its broker: all four sent, none pending or quarantined" \
    wait_for 10 drained
ok "  ... and the visited broker's ledger holds them" \
    eval '"$BROKER" ledger status -c visited.example.conf | grep -q "records:    4 ours"'
ok "the agent's usage command shows the spool, nothing quarantined" \
    eval '"$AGENT" usage -c agent.conf | grep -q "^quarantined: 0 records"'
ok "Kamailio logged no usage report the agent did not store" \
    eval '! grep -q "NOT stored by the agent" "$WORK/kamailio.log"'

sipp_port=$(free_port)
ok "security agreement kept (Security-Verify repeats Security-Server): 200" \
    sipp_run secagree register_secagree.xml alice 'Roam-Wide-2026!'
ok "  ... the challenge carried Security-Server" grep -q '^Security-Server: digest;q=0.1' secagree.msg
sipp_port=$(free_port)
ok "security agreement downgraded: 403" \
    sipp_run downgrade register_downgrade.xml alice 'Roam-Wide-2026!'

# a replayed authenticated REGISTER, straight to the agent's API
replay() {
	# the second REGISTER sent, up to its empty line (it has no body)
	awk '/UDP message sent/ { n++ } n == 2 && /^REGISTER/ { p = 1 }
	    p { print } p && /^\r?$/ { exit }' register.msg | sed 's/\r*$/\r/' >replay.sip
	len=$(wc -c <replay.sip)
	exec 3<>"/dev/tcp/127.0.0.1/$AGENT_PORT" || return 1
	printf 'POST /v1/check?src=127.0.0.1&sport=%s&proto=udp HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
	    "$UAC_PORT" "$len" >&3
	cat replay.sip >&3
	cat <&3 >replay.out
	exec 3<&-
	head -1 replay.out | grep -q ' 401 '
}
ok "a replayed authenticated REGISTER (same nonce and nc): challenged (401)" replay
ok "  ... the agent logged the replay" logged agent 'event=nonce_replayed'

# home unreachable, then the agent down
stop broker-home
sipp_port=$(free_port)
ok "home broker down: REGISTER gets 503, never 200" \
    sipp_run nohome register_unavailable.xml alice 'Roam-Wide-2026!'
ok "  ... with Retry-After" grep -q '^Retry-After: 7' nohome.msg
stop agent
sipp_port=$(free_port)
ok "agent down: Kamailio fails closed (500)" \
    sipp_run noagent register_failclosed.xml alice 'Roam-Wide-2026!'

for n in uas kamailio broker-visited; do stop "$n"; done
finish
