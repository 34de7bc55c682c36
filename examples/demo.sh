#!/bin/bash
# The roamtrust example federation, end to end on this machine: what
# `make demo` runs after building. Every step uses the real commands an
# operator would type; each artifact is then checked with stock openssl.
#
# Today it covers onboarding (a federation CA, two operators home.example
# and visited.example with realm certificates, a CRL, a roaming agreement
# signed by both) and the federation itself: both operators' brokers start,
# peer over mutual TLS, and `roamtrust-broker peers` shows the link. Work
# happens in a scratch folder that is kept for you to look at (its path is
# printed at the end); the brokers are stopped before the script ends.
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
say "The brokers stop"
cleanup
pids=""

printf '\nDemo complete. Everything it made is in %s\n' "$demo"
ls -l "$demo" "$demo/ca"
