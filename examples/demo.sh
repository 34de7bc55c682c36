#!/bin/sh
# The roamtrust example federation, end to end on this machine: what
# `make demo` runs after building. Every step uses the real commands an
# operator would type; each artifact is then checked with stock openssl.
#
# Today it covers onboarding: a federation CA, two operators (home.example
# and visited.example) with realm certificates, a CRL, and a roaming
# agreement signed by both. Work happens in a scratch folder that is kept
# for you to look at (its path is printed at the end).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
pki="$top/$BUILD/roamtrust-pki"
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

printf '\nDemo complete. Everything it made is in %s\n' "$demo"
ls -l "$demo" "$demo/ca"
