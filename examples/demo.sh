#!/bin/bash
# The roamtrust example federation, end to end on this machine: what
# `make demo` runs after building. Every step uses the real commands an
# operator would type; each artifact is then checked with stock openssl.
#
# It covers onboarding (a federation CA, two operators home.example and
# visited.example with realm certificates, a CRL, a roaming agreement
# signed by both), the federation (both brokers start and peer over mutual
# TLS), and roaming: alice, a subscriber of home.example, registers through
# visited.example's Kamailio (challenged by the agent, verified by her home
# operator), sends a MESSAGE and makes a call to a test phone. Work happens
# in a scratch folder that is kept for you to look at (its path is printed
# at the end); every process started is stopped before the script ends.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
pki="$top/$BUILD/roamtrust-pki"
broker="$top/$BUILD/roamtrust-broker"
pids=""
cleanup() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT
demo=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/roamtrust-demo.XXXXXX")}
step=0

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}
run() {
	printf '$ %s\n' "$*"
	"$@"
}

cd "$demo"
say "The federation operator creates the federation CA"
run "$pki" init --dir ca --name "Example Roaming Federation" \
	--crl-url "http://127.0.0.1:8089/federation.crl"

for realm in home.example visited.example; do
	say "Operator $realm asks to join: a key that never leaves it, and a CSR"
	run "$pki" request --realm "$realm" --out "$realm"
	say "The federation operator issues $realm its realm certificate"
	run "$pki" issue --dir ca --csr "$realm/$realm.csr" --realm "$realm" \
		--out "$realm/$realm.crt"
done

say "The federation operator publishes the CRL"
run "$pki" crl --dir ca --out federation.crl

say "home.example drafts a roaming agreement with visited.example"
run "$pki" agreement new --home home.example --visited visited.example \
	--service voice:minute:12 --service message:message:2 --currency EUR \
	--days 365 --max-assertion 3600 --out agreement.xml

say "Both operators sign it (each with its own realm key)"
run "$pki" agreement sign --key home.example/home.example.key \
	--cert home.example/home.example.crt agreement.xml
run "$pki" agreement sign --key visited.example/visited.example.key \
	--cert visited.example/visited.example.crt agreement.xml

say "Anyone in the federation checks the agreement with roamtrust"
run "$pki" agreement verify --ca ca/ca.crt --crl federation.crl agreement.xml

say "... and without roamtrust, with stock openssl"
for realm in home.example visited.example; do
	run openssl verify -CAfile ca/ca.crt -crl_check -CRLfile federation.crl \
		"$realm/$realm.crt"
done
run openssl cms -verify -binary -inform DER -in agreement.xml.sig \
	-content agreement.xml -CAfile ca/ca.crt -out /dev/null
run xmllint --noout --nonet --schema "$top/schemas/roamtrust.xsd" agreement.xml

say "What the files hold"
run "$pki" show home.example/home.example.crt
run "$pki" show agreement.xml.sig

# A TCP port on 127.0.0.1 nothing listens on.
free_port() {
	while :; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
}

say "Each operator configures its broker (every option: roamtrust-broker --print-defaults)"
mkdir -p agreements
cp agreement.xml agreement.xml.sig agreements/
home_port=$(free_port)
visited_port=$(free_port)
for realm in home.example visited.example; do
	if [ "$realm" = home.example ]; then
		port=$home_port peer=visited.example peer_port=$visited_port
	else
		port=$visited_port peer=home.example peer_port=$home_port
	fi
	cat >"$realm/broker.conf" <<EOF
[broker]
realm = $realm
key = $demo/$realm/$realm.key
cert = $demo/$realm/$realm.crt
ca = $demo/ca/ca.crt
; the federation publishes its CRL over http(s); here it is a local file
crl_url = file://$demo/federation.crl
listen = tls+tcp://127.0.0.1:$port
agreements = $demo/agreements
state_dir = $demo/$realm/state
ping_interval = 2s

[peer.$peer]
endpoint = tls+tcp://127.0.0.1:$peer_port
EOF
	run "$broker" check -c "$realm/broker.conf"
done
cat home.example/broker.conf

say "Both brokers start (logs in $demo/*/broker.log)"
for realm in home.example visited.example; do
	printf '$ %s run -c %s/broker.conf &\n' "$broker" "$realm"
	"$broker" run -c "$realm/broker.conf" >"$realm/broker.log" 2>&1 &
	pids="$pids $!"
done
up=0
for _ in $(seq 1 50); do
	if "$broker" peers -c home.example/broker.conf 2>/dev/null | grep -q '^visited.example *up' &&
	    "$broker" peers -c visited.example/broker.conf 2>/dev/null | grep -q '^home.example *up'; then
		up=1
		break
	fi
	sleep 0.2
done
sleep 3	# one ping each way, for the round-trip time
say "They peer: mutual TLS, signed hellos, the agreement checked on both sides"
run "$broker" peers -c home.example/broker.conf
run "$broker" peers -c visited.example/broker.conf
run "$broker" status -c home.example/broker.conf
if [ "$up" -ne 1 ]; then
	echo "demo: the brokers did not peer; see $demo/*/broker.log" >&2
	exit 1
fi
say "home.example provisions its subscriber alice (the password is hashed, never stored)"
printf '%s\n' 'Roam-Wide-2026!' | run "$broker" subscriber add sip:alice@home.example alice \
	--services voice,message --password-stdin -c home.example/broker.conf
run "$broker" subscriber show alice -c home.example/broker.conf

say "visited.example runs an agent beside its Kamailio"
agent_port=$(free_port)
sip_port=$(free_port)
uas_port=$(free_port)
uac_port=$(free_port)
mkdir -p agent
cat >agent/agent.conf <<EOF
[agent]
realm = visited.example
broker = ipc://$demo/visited.example/state/agent.sock
listen = 127.0.0.1:$agent_port
state_dir = $demo/agent/state
; sipp (the test phone) speaks MD5 digest only
digest_algorithms = MD5
proxy_uris = 127.0.0.1:$sip_port
EOF
run "$top/$BUILD/roamtrust-agent" check -c agent/agent.conf
"$top/$BUILD/roamtrust-agent" run -c agent/agent.conf >agent/agent.log 2>&1 &
pids="$pids $!"
mkdir -p kamailio
printf '$ kamailio -f examples/kamailio/kamailio.cfg  (SIP on 127.0.0.1:%s)\n' "$sip_port"
RT_LISTEN="udp:127.0.0.1:$sip_port" RT_AGENT="agent=>http://127.0.0.1:$agent_port/v1" \
	RT_UAS="sip:127.0.0.1:$uas_port" kamailio -DD -E -f "$top/examples/kamailio/kamailio.cfg" \
	-m 64 -M 16 -Y "$demo/kamailio" >kamailio/kamailio.log 2>&1 &
pids="$pids $!"
sipp -sf "$top/examples/sipp/uas.xml" -i 127.0.0.1 -p "$uas_port" -nostdin \
	-trace_msg -message_file "$demo/uas.msg" >/dev/null 2>&1 &
pids="$pids $!"
sleep 1

phone() {	# scenario file: one run of the test phone as alice
	printf 'SEQUENTIAL\nalice;home.example;%s\n' "$3" >alice.csv
	printf '$ sipp -sf examples/sipp/%s (alice, roaming in visited.example)\n' "$1"
	sipp -sf "$top/examples/sipp/$1" -inf alice.csv -au alice -ap 'Roam-Wide-2026!' \
		-i 127.0.0.1 -p "$uac_port" -m 1 -timeout 15s -timeout_error -nostdin \
		-trace_msg -message_file "$demo/$2.msg" "127.0.0.1:$sip_port" >/dev/null 2>&1
	status=$?
	grep -E '^(REGISTER|MESSAGE|INVITE|ACK|BYE|SIP/2.0) ' "$demo/$2.msg" | sed 's/^/    /'
	return $status
}
say "alice registers through visited.example (401 from the agent, 200 once home.example vouched)"
phone register.xml register ""
say "alice sends a MESSAGE (it carries a fresh Date)"
phone message.xml message "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"
say "alice calls the test phone; it sees the identity home.example asserted"
phone invite.xml invite "User-Agent: roamtrust demo"
grep '^P-Asserted-Identity' uas.msg | head -1 | sed 's/^/    at the test phone: /'
run "$top/$BUILD/roamtrust-agent" status -c agent/agent.conf

say "Everything stops"
cleanup
pids=""

printf '\nDemo complete. Everything it made is in %s\n' "$demo"
ls -l "$demo" "$demo/ca"
