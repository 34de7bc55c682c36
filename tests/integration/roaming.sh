#!/bin/bash
# Roaming authentication end to end with a real proxy and a real client:
# a federation CA, two operators (home.example, visited.example), their
# agreement, alice provisioned at home; both brokers, the visited agent and
# the visited Kamailio; sipp registers alice through the visited Kamailio
# (also to sip:home.example, with sipp's default digest uri: the proxy's
# address), sends a MESSAGE and makes a call to a sipp UAS. Kamailio
# reports usage to the agent: the MESSAGE, the calls (whole seconds from
# 200 to BYE) and a registration where the agreement bills it are records
# in the agent's spool, and refused requests are none. Then the negative
# runs.
set -u
. "$(dirname "$0")/common.inc"
. "$(dirname "$0")/roaming.inc"
cd "$WORK" || exit 1

# --- PKI, agreement (voice, message and registration; not "video": the
# no-service run asks for nothing else), configurations ---
roaming_pki
roaming_agreement hv voice:minute:12 message:message:2 registration:event:1
roaming_brokers "lockout_after = 3
lockout_time = 1h"
roaming_agent "security_server = digest;q=0.1
fail_limit_source = 50
fail_limit_identity = 50"

start broker-home "$BROKER" run -c home.example.conf
start broker-visited "$BROKER" run -c visited.example.conf
ok "home and visited brokers peer" wait_for 20 peer_up visited.example home.example

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
ok "Kamailio starts" roaming_start_kamailio

ok "alice registers through the visited Kamailio (401 then 200)" \
    sipp_run register register.xml alice 'Roam-Wide-2026!'
ok "  ... the agent recorded the binding" logged agent 'event=registered aor=sip:alice@home.example'
ok "  ... the home broker issued the assertion" logged broker-home 'event=auth_home visited=visited.example user=alice result=ok'

roaming_start_uas

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
ok "alice's MESSAGE from erin's flow (erin's binding there, not hers): 403" \
    sipp_run alice-on-erin message_refused.xml alice x
ok "  ... refused as from any flow alice did not register from" \
    grep -q '403 Forbidden (not the registered route)' alice-on-erin.msg
# a report straight to the agent's API: nonsense is refused, stores nothing
bad_report() {
	printf hello >bad-report.txt
	agent_post "$AGENT_PORT" "/v1/usage?event=start&src=127.0.0.1&sport=$UAC_PORT&proto=udp" \
	    bad-report.txt >bad-report.out || return 1
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

# Privacy: id toward a domain outside the trust domain: delivered without
# any asserted identity; the UAS's copy of that MESSAGE has no PAI
uas_private() {	# the UAS's trace of the request that asked for privacy
	awk '/^MESSAGE |^INVITE / { blk = "" } { blk = blk $0 "\n" }
	    /^Privacy: id/ { hit = 1 } hit && /^\r?$/ { printf "%s", blk; exit }' uas.msg
}
messages=$(spool "SELECT count(*) FROM record WHERE service = 'message'")
sipp_field=$(now_date)
sipp_port=$UAC_PORT	# alice's registered flow (a request of hers from
			# erin's is refused: bindings are per AOR and flow)
ok "a MESSAGE with Privacy: id to another domain is delivered (200)" \
    sipp_run private message_private.xml alice x
ok "  ... and reaches the UAS without any P-Asserted-Identity" \
    eval 'uas_private | grep -q "^MESSAGE sip:uas@elsewhere.example" &&
    ! uas_private | grep -qi "^P-Asserted-Identity"'
ok "  ... it is billed all the same" \
    wait_for 5 spool_is $((messages + 1)) "SELECT count(*) FROM record WHERE service = 'message'"

sipp_port=$(free_port)
ok "security agreement kept (Security-Verify repeats Security-Server): 200" \
    sipp_run secagree register_secagree.xml alice 'Roam-Wide-2026!'
ok "  ... the challenge carried Security-Server" grep -q '^Security-Server: digest;q=0.1' secagree.msg
sipp_port=$(free_port)
ok "security agreement downgraded: 403" \
    sipp_run downgrade register_downgrade.xml alice 'Roam-Wide-2026!'

sipp_port=$(free_port)
ok "REGISTER to sip:home.example, sipp's digest uri the proxy's address: 200" \
    sipp_run realm register_realm.xml alice 'Roam-Wide-2026!'
ok "  ... the digest uri was the proxy's (in proxy_uris), not the Request-URI" \
    eval 'grep -q "^REGISTER sip:home.example SIP/2.0" realm.msg &&
    grep -q "uri=\"sip:127.0.0.1:$SIP_PORT\"" realm.msg'

# a replayed authenticated REGISTER, straight to the agent's API
replay() {
	# the second REGISTER sent, up to its empty line (it has no body)
	awk '/UDP message sent/ { n++ } n == 2 && /^REGISTER/ { p = 1 }
	    p { print } p && /^\r?$/ { exit }' register.msg | sed 's/\r*$/\r/' >replay.sip
	agent_post "$AGENT_PORT" "/v1/check?src=127.0.0.1&sport=$UAC_PORT&proto=udp" \
	    replay.sip >replay.out || return 1
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
