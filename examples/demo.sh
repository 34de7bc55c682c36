#!/bin/bash
# The roamtrust example federation, end to end on this machine: what
# `make demo` runs after building. Every step uses the real commands an
# operator would type; each artifact is then checked with stock openssl.
#
# It covers onboarding (a federation CA, three operators home.example,
# visited.example and third.example with realm certificates, a CRL, roaming
# agreements signed by both sides), the federation (the three brokers start
# and peer over mutual TLS), and roaming: alice of home.example and bob of
# third.example register through visited.example's Kamailio (challenged by
# the agent, verified by their home operators), send MESSAGEs and make
# calls to a test phone. Work happens in a scratch folder that is kept for
# you to look at (its path is printed at the end); every process started is
# stopped before the script ends.
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

realms="home.example visited.example third.example"
for realm in $realms; do
	say "Operator $realm asks to join: a key that never leaves it, and a CSR"
	run "$pki" request --realm "$realm" --out "$realm"
	say "The federation operator issues $realm its realm certificate"
	run "$pki" issue --dir ca --csr "$realm/$realm.csr" --realm "$realm" \
		--out "$realm/$realm.crt"
done

say "The federation operator publishes the CRL"
run "$pki" crl --dir ca --out federation.crl

# An agreement lets HOME's subscribers roam into VISITED, signed by both.
agreement() {	# home visited file
	say "$1 drafts a roaming agreement with $2 (its subscribers roam there)"
	run "$pki" agreement new --home "$1" --visited "$2" \
		--service voice:minute:12 --service message:message:2 --currency EUR \
		--days 365 --max-assertion 3600 --out "$3"
	say "Both operators sign it (each with its own realm key)"
	run "$pki" agreement sign --key "$1/$1.key" --cert "$1/$1.crt" "$3"
	run "$pki" agreement sign --key "$2/$2.key" --cert "$2/$2.crt" "$3"
}
agreement home.example visited.example agreement.xml
agreement third.example visited.example agreement-third.xml

say "Anyone in the federation checks the agreements with roamtrust"
run "$pki" agreement verify --ca ca/ca.crt --crl federation.crl agreement.xml
run "$pki" agreement verify --ca ca/ca.crt --crl federation.crl agreement-third.xml

say "... and without roamtrust, with stock openssl"
for realm in $realms; do
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
cp agreement.xml agreement.xml.sig agreement-third.xml agreement-third.xml.sig agreements/
declare -A port
for realm in $realms; do
	port[$realm]=$(free_port)
done
# visited.example peers with both home operators; they peer with it
peers_of() {
	case "$1" in
	visited.example) echo home.example third.example ;;
	*) echo visited.example ;;
	esac
}
for realm in $realms; do
	cat >"$realm/broker.conf" <<EOF
[broker]
realm = $realm
key = $demo/$realm/$realm.key
cert = $demo/$realm/$realm.crt
ca = $demo/ca/ca.crt
; the federation publishes its CRL over http(s); here it is a local file
crl_url = file://$demo/federation.crl
listen = tls+tcp://127.0.0.1:${port[$realm]}
agreements = $demo/agreements
state_dir = $demo/$realm/state
ping_interval = 2s
EOF
	for peer in $(peers_of "$realm"); do
		printf '\n[peer.%s]\nendpoint = tls+tcp://127.0.0.1:%s\n' \
			"$peer" "${port[$peer]}" >>"$realm/broker.conf"
	done
	run "$broker" check -c "$realm/broker.conf"
done
cat visited.example/broker.conf

say "The brokers start (logs in $demo/*/broker.log)"
for realm in $realms; do
	printf '$ %s run -c %s/broker.conf &\n' "$broker" "$realm"
	"$broker" run -c "$realm/broker.conf" >"$realm/broker.log" 2>&1 &
	pids="$pids $!"
done
all_up() {
	for realm in $realms; do
		for peer in $(peers_of "$realm"); do
			"$broker" peers -c "$realm/broker.conf" 2>/dev/null |
				grep -q "^$peer *up" || return 1
		done
	done
}
up=0
for _ in $(seq 1 50); do
	if all_up; then
		up=1
		break
	fi
	sleep 0.2
done
sleep 3	# one ping each way, for the round-trip time
say "They peer: mutual TLS, signed hellos, the agreements checked on both sides"
run "$broker" peers -c visited.example/broker.conf
run "$broker" peers -c home.example/broker.conf
run "$broker" status -c visited.example/broker.conf
if [ "$up" -ne 1 ]; then
	echo "demo: the brokers did not peer; see $demo/*/broker.log" >&2
	exit 1
fi
say "The home operators provision their subscribers (passwords are hashed, never stored)"
printf '%s\n' 'Roam-Wide-2026!' | run "$broker" subscriber add sip:alice@home.example alice \
	--services voice,message --password-stdin -c home.example/broker.conf
printf '%s\n' 'Far-Away-2026!' | run "$broker" subscriber add sip:bob@third.example bob \
	--services voice,message --password-stdin -c third.example/broker.conf
run "$broker" subscriber show alice -c home.example/broker.conf

say "visited.example runs an agent beside its Kamailio"
agent_port=$(free_port)
sip_port=$(free_port)
uas_port=$(free_port)
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

phone() {	# user home password scenario name header: one run of the test phone
	printf 'SEQUENTIAL\n%s;%s;%s\n' "$1" "$2" "$6" >"$1.csv"
	printf '$ sipp -sf examples/sipp/%s (%s of %s, roaming in visited.example)\n' "$4" "$1" "$2"
	sipp -sf "$top/examples/sipp/$4" -inf "$1.csv" -au "$1" -ap "$3" \
		-i 127.0.0.1 -p "${uac_port[$1]}" -m 1 -timeout 15s -timeout_error -nostdin \
		-trace_msg -message_file "$demo/$5.msg" "127.0.0.1:$sip_port" >/dev/null 2>&1
	status=$?
	grep -E '^(REGISTER|MESSAGE|INVITE|ACK|BYE|SIP/2.0) ' "$demo/$5.msg" | sed 's/^/    /'
	return $status
}
declare -A uac_port
uac_port[alice]=$(free_port)
uac_port[bob]=$(free_port)
now_date() { LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT'; }
say "alice registers through visited.example (401 from the agent, 200 once home.example vouched)"
phone alice home.example 'Roam-Wide-2026!' register.xml alice-register ""
say "alice sends a MESSAGE (it carries a fresh Date)"
phone alice home.example 'Roam-Wide-2026!' message.xml alice-message "$(now_date)"
say "alice calls the test phone; it sees the identity home.example asserted"
phone alice home.example 'Roam-Wide-2026!' invite.xml alice-invite "User-Agent: roamtrust demo"
grep '^P-Asserted-Identity' uas.msg | head -1 | sed 's/^/    at the test phone: /'
say "bob of third.example roams into visited.example too: register, MESSAGE, call"
phone bob third.example 'Far-Away-2026!' register.xml bob-register ""
phone bob third.example 'Far-Away-2026!' message.xml bob-message "$(now_date)"
phone bob third.example 'Far-Away-2026!' invite.xml bob-invite "User-Agent: roamtrust demo"
run "$top/$BUILD/roamtrust-agent" status -c agent/agent.conf
say "Kamailio reported each MESSAGE and call: the agent stored a usage record before it answered, and sends them to its broker"
run "$top/$BUILD/roamtrust-agent" usage -c agent/agent.conf

# every record in both ledgers: visited's (ours), and each home's (theirs)
arrived() {	# realm partner count
	"$broker" ledger status -c "$1/broker.conf" 2>/dev/null |
		grep -A3 "^partner $2" | grep -Eq "records: +[0-9]+ ours, $3 theirs|records: +$3 ours"
}
for _ in $(seq 1 50); do
	arrived home.example visited.example 3 && arrived third.example visited.example 3 && break
	sleep 0.2
done
say "visited.example's broker keeps them in its ledger (hash-chained, checkpoints signed) and forwards each home its own, in signed UsageBatches"
run "$broker" ledger status -c visited.example/broker.conf
run "$broker" ledger status -c home.example/broker.conf
run "$broker" ledger verify -c visited.example/broker.conf

from=$(date -u -d yesterday +%F)
to=$(date -u -d tomorrow +%F)
say "At the end of the period both sides export what they hold of each other, priced by the agreement and signed"
run "$broker" export -c visited.example/broker.conf --partner home.example \
	--from "$from" --to "$to" --out visited-home.xml
run "$broker" export -c home.example/broker.conf --partner visited.example \
	--from "$from" --to "$to" --out home-visited.xml
run "$broker" export -c visited.example/broker.conf --partner third.example \
	--from "$from" --to "$to" --format csv --out visited-third.csv
run "$broker" export -c third.example/broker.conf --partner visited.example \
	--from "$from" --to "$to" --format csv --out third-visited.csv
run openssl cms -verify -binary -inform DER -in visited-home.xml.sig \
	-content visited-home.xml -CAfile ca/ca.crt -out /dev/null
run xmllint --noout --nonet --schema "$top/schemas/roamtrust.xsd" visited-home.xml

say "The settlement teams reconcile the two sides' exports"
run "$broker" reconcile -c visited.example/broker.conf visited-home.xml home-visited.xml \
	--csv discrepancies-home.csv --html report-home.html
run "$broker" reconcile -c visited.example/broker.conf visited-third.csv third-visited.csv \
	--csv discrepancies-third.csv --html report-third.html

say "Everything stops"
cleanup
pids=""

printf '\nDemo complete. Everything it made is in %s\n' "$demo"
printf 'Settlement reports: %s/report-home.html %s/report-third.html\n' "$demo" "$demo"
ls -l "$demo" "$demo/ca"
