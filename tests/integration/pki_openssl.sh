#!/bin/sh
# roamtrust-pki end to end, checked with stock openssl: the federation CA,
# a realm certificate, revocation and the CRL must all satisfy
# `openssl verify -crl_check`, a document signed with a realm key must
# pass plain `openssl cms -verify`, and so must a roaming agreement made and
# signed by both realms with `roamtrust-pki agreement` (DESIGN.md, "Trust
# model" and "Documents and signatures"). Also the CLI's refusals and exit
# codes, `agreement sign`'s and `agreement verify`'s included.
# Prints "ok - ..." / "not ok - ..." per check and "N passed, N failed".
set -u

RT_BIN=${RT_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/${BUILD:-build}}
PKI="$RT_BIN/roamtrust-pki"
if [ ! -x "$PKI" ]; then
	echo "not ok - $PKI not built"
	echo "0 passed, 1 failed"
	exit 1
fi
command -v openssl >/dev/null 2>&1 || { echo "not ok - openssl not installed"; echo "0 passed, 1 failed"; exit 1; }

SCHEMA=$(cd "$(dirname "$0")/../.." && pwd)/schemas/roamtrust.xsd
W=$(mktemp -d "${TMPDIR:-/tmp}/rt-pki-openssl.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
cd "$W" || exit 1

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "not ok - $1"; [ -f out ] && sed 's/^/#   /' out; }
# check DESCRIPTION COMMAND...: passes when the command exits 0
check() {
	desc=$1
	shift
	if "$@" >out 2>&1; then ok "$desc"; else nok "$desc"; fi
}
# refuses DESCRIPTION STATUS PATTERN COMMAND...: passes when the command
# exits with STATUS (or any non-zero for "fail") and its output has PATTERN
refuses() {
	desc=$1 want=$2 pattern=$3
	shift 3
	"$@" >out 2>&1
	got=$?
	if [ "$want" = fail ] && [ "$got" -ne 0 ] || [ "$got" = "$want" ]; then
		if grep -q -- "$pattern" out; then ok "$desc"; return; fi
	fi
	echo "#   exit $got, wanted $want and /$pattern/"
	nok "$desc"
}
has() { grep -q -- "$1" out; }

R=visited.example
URL=http://crl.example/federation.crl

# --- the federation CA and a realm certificate
check "init makes a CA" "$PKI" init --dir ca --name "Test Federation" --crl-url "$URL"
check "ca.key is mode 600" test "$(stat -c %a ca/ca.key)" = 600
refuses "init refuses to overwrite a CA" 1 "exists" \
	"$PKI" init --dir ca --name "Again"
check "request makes a key and CSR" "$PKI" request --realm "$R" --out req
check "realm key is mode 600" test "$(stat -c %a req/$R.key)" = 600
refuses "request refuses to overwrite a key" 1 "exists" \
	"$PKI" request --realm "$R" --out req
check "openssl req -verify accepts the CSR" \
	openssl req -verify -noout -in "req/$R.csr"
check "issue signs the CSR" \
	"$PKI" issue --dir ca --csr "req/$R.csr" --realm "$R" --out "$R.crt"

openssl x509 -noout -ext subjectAltName,extendedKeyUsage,keyUsage,crlDistributionPoints \
	-in "$R.crt" >out 2>&1
if has "DNS:$R" && has "TLS Web Server Authentication" &&
    has "TLS Web Client Authentication" && has "E-mail Protection" &&
    has "Digital Signature" && has "URI:$URL"; then
	ok "openssl x509 shows SAN, EKU, keyUsage and CDP"
else
	nok "openssl x509 shows SAN, EKU, keyUsage and CDP"
fi
openssl x509 -noout -subject -in "$R.crt" >out 2>&1
if grep -q "^subject=CN = $R\$" out; then ok "subject is CN=$R only"; else nok "subject is CN=$R only"; fi

check "crl with nothing revoked" "$PKI" crl --dir ca --out crl.pem
openssl verify -CAfile ca/ca.crt -crl_check -CRLfile crl.pem "$R.crt" >out 2>&1
if [ $? -eq 0 ] && has "$R.crt: OK"; then
	ok "openssl verify -crl_check: OK before revocation"
else
	nok "openssl verify -crl_check: OK before revocation"
fi
"$PKI" verify --ca ca/ca.crt --crl crl.pem "$R.crt" >out 2>&1
if [ $? -eq 0 ] && grep -Eq "^ok: realm $R, serial [0-9A-F]+, expires [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$" out; then
	ok "roamtrust-pki verify: ok"
else
	nok "roamtrust-pki verify: ok"
fi

# --- a document signed with the realm key, checked by stock openssl cms
printf '<RoamingAgreement xmlns="urn:roamtrust:1"><home>%s</home></RoamingAgreement>\n' "$R" >doc.xml
check "openssl cms -sign with the realm key" \
	openssl cms -sign -binary -in doc.xml -signer "$R.crt" -inkey "req/$R.key" \
	-outform DER -out doc.xml.sig
check "openssl cms -verify against the federation CA" \
	openssl cms -verify -binary -inform DER -in doc.xml.sig -content doc.xml \
	-CAfile ca/ca.crt -out /dev/null
echo "<!-- changed -->" >>doc.xml
if openssl cms -verify -binary -inform DER -in doc.xml.sig -content doc.xml \
    -CAfile ca/ca.crt -out /dev/null >out 2>&1; then
	nok "openssl cms -verify fails on a modified document"
else
	ok "openssl cms -verify fails on a modified document"
fi
"$PKI" show doc.xml.sig >out 2>&1
if [ $? -eq 0 ] && has "realm:      $R" && has "signed at:"; then
	ok "show summarises the CMS signature"
else
	nok "show summarises the CMS signature"
fi
"$PKI" show "$R.crt" >out 2>&1
if [ $? -eq 0 ] && has "realm (SAN):  $R" && has "serverAuth, clientAuth"; then
	ok "show summarises the certificate"
else
	nok "show summarises the certificate"
fi
check "show summarises the CSR" "$PKI" show "req/$R.csr"

# --- revocation
serial=$(openssl x509 -noout -serial -in "$R.crt" | sed 's/^serial=//')
check "revoke --cert with a reason" \
	"$PKI" revoke --dir ca --cert "$R.crt" --reason keyCompromise
refuses "revoking twice is refused" 1 "already revoked" \
	"$PKI" revoke --dir ca --serial "$serial"
refuses "revoking an unknown serial is refused" 1 "not issued by this CA" \
	"$PKI" revoke --dir ca --serial 0123456789ABCDEF
check "crl after revocation" "$PKI" crl --dir ca --out crl.pem
refuses "openssl verify -crl_check: certificate revoked" fail "certificate revoked" \
	openssl verify -CAfile ca/ca.crt -crl_check -CRLfile crl.pem "$R.crt"
openssl crl -in crl.pem -noout -text >out 2>&1
if has "Serial Number: $serial" && has "Key Compromise" && has "X509v3 CRL Number"; then
	ok "openssl crl lists the serial with its reason"
else
	nok "openssl crl lists the serial with its reason"
fi
refuses "roamtrust-pki verify names the revocation" 1 "^invalid: .*revoked" \
	"$PKI" verify --ca ca/ca.crt --crl crl.pem "$R.crt"
check "show lists the CRL entry" sh -c "'$PKI' show crl.pem | grep -q '$serial.*keyCompromise'"

# --- verify against the wrong CA
check "a second CA" "$PKI" init --dir other --name "Other Federation"
refuses "verify against another CA: invalid" 1 "^invalid: .*not issued by the trusted CA" \
	"$PKI" verify --ca other/ca.crt "$R.crt"
check "a CRL of the other CA" "$PKI" crl --dir other --out other-crl.pem
refuses "verify with a CRL of another CA: invalid" 1 "^invalid: CRL" \
	"$PKI" verify --ca ca/ca.crt --crl other-crl.pem "$R.crt"

# --- refusals
openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=rsa.example" \
	-out rsa.csr >/dev/null 2>&1
refuses "issue refuses an RSA CSR: weak key" 1 "weak key" \
	"$PKI" issue --dir ca --csr rsa.csr --realm rsa.example --out rsa.crt
check "no certificate for the RSA CSR" test ! -e rsa.crt
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout p384.key \
	-subj "/CN=p384.example" -out p384.csr >/dev/null 2>&1
refuses "issue refuses a P-384 CSR: weak key" 1 "weak key" \
	"$PKI" issue --dir ca --csr p384.csr --realm p384.example --out p384.crt
refuses "request refuses an invalid realm" 1 "not a valid DNS name" \
	"$PKI" request --realm Bad_Realm --out req
check "no key for the invalid realm" test ! -e req/Bad_Realm.key
refuses "issue refuses an invalid realm" 1 "not a valid DNS name" \
	"$PKI" issue --dir ca --csr "req/$R.csr" --realm "a..b" --out bad.crt
check "request for another realm" "$PKI" request --realm home.example --out req
refuses "issue refuses a CSR naming another realm" 1 "names realm home.example" \
	"$PKI" issue --dir ca --csr req/home.example.csr --realm "$R" --out x.crt

# --- a CA whose key is encrypted
printf 'correct horse battery staple\n' >pass
chmod 600 pass
check "init with --passphrase-file" \
	"$PKI" init --dir enc --name "Encrypted CA" --passphrase-file pass
check "encrypted ca.key is mode 600" test "$(stat -c %a enc/ca.key)" = 600
check "ca.key is PKCS#8 encrypted" grep -q "BEGIN ENCRYPTED PRIVATE KEY" enc/ca.key
check "openssl reads it with the passphrase" \
	openssl pkey -in enc/ca.key -passin file:pass -noout
refuses "issue without the passphrase is refused" 1 "passphrase" \
	"$PKI" issue --dir enc --csr req/home.example.csr --realm home.example --out h.crt
printf 'wrong\n' >wrong
chmod 600 wrong
refuses "issue with a wrong passphrase is refused" 1 "wrong or missing passphrase" \
	"$PKI" issue --dir enc --csr req/home.example.csr --realm home.example \
	--out h.crt --passphrase-file wrong
check "issue with the passphrase" \
	"$PKI" issue --dir enc --csr req/home.example.csr --realm home.example \
	--out h.crt --passphrase-file pass
check "revoke with the passphrase" \
	"$PKI" revoke --dir enc --cert h.crt --passphrase-file pass
check "crl with the passphrase" \
	"$PKI" crl --dir enc --out enc-crl.pem --passphrase-file pass --days 2
refuses "openssl: revoked under the encrypted CA" fail "certificate revoked" \
	openssl verify -CAfile enc/ca.crt -crl_check -CRLfile enc-crl.pem h.crt
chmod 644 pass
refuses "a passphrase file readable by others is refused" 1 "chmod 600" \
	"$PKI" crl --dir enc --out enc-crl.pem --passphrase-file pass
chmod 644 ca/ca.key
refuses "a CA key readable by others is refused" 1 "chmod 600" \
	"$PKI" crl --dir ca --out crl.pem
chmod 600 ca/ca.key

# --- a roaming agreement made, signed by both realms and checked by the
# tool and by stock openssl (the signature file carries both signers)
for r in home.example roam.example third.example; do
	[ -e "req/$r.key" ] || "$PKI" request --realm "$r" --out req >/dev/null 2>&1
	"$PKI" issue --dir ca --csr "req/$r.csr" --realm "$r" --out "$r.crt" >/dev/null 2>&1
done
check "agreement new" "$PKI" agreement new --home home.example --visited roam.example \
	--service voice:minute:12 --service message:message:2 --currency EUR \
	--days 30 --max-assertion 3600 --out A.xml
check "xmllint: the agreement is valid against the XSD" \
	xmllint --noout --nonet --schema "$SCHEMA" A.xml
check "agreement sign by home" \
	"$PKI" agreement sign --key req/home.example.key --cert home.example.crt A.xml
"$PKI" agreement verify --ca ca/ca.crt --crl crl.pem A.xml >out 2>&1
if [ $? -eq 1 ] && has "signed by: home.example" &&
    has "missing:   roam.example (visited) has not signed"; then
	ok "agreement verify: one signer is not enough, and says who is missing"
else
	nok "agreement verify: one signer is not enough, and says who is missing"
fi
refuses "agreement sign twice by the same realm: refused" 1 "already signed" \
	"$PKI" agreement sign --key req/home.example.key --cert home.example.crt A.xml
refuses "agreement sign by a realm that is not a party: refused" 1 "not a party" \
	"$PKI" agreement sign --key req/third.example.key --cert third.example.crt A.xml
cp A.xml A.orig
sed -i 's/rate="12"/rate="13"/' A.xml
refuses "agreement sign of an agreement changed since the first signature: refused" 1 \
	"changed after it was signed" \
	"$PKI" agreement sign --key req/roam.example.key --cert roam.example.crt A.xml
cp A.orig A.xml
check "agreement sign by visited" \
	"$PKI" agreement sign --key req/roam.example.key --cert roam.example.crt A.xml
"$PKI" agreement verify --ca ca/ca.crt --crl crl.pem A.xml >out 2>&1
if [ $? -eq 0 ] && has "ok: signed by home.example and roam.example" &&
    has "service:   voice, 12 minor units per minute"; then
	ok "agreement verify: ok, signed by both"
else
	nok "agreement verify: ok, signed by both"
fi
check "openssl cms -verify of the agreement (the issue's exact command)" \
	openssl cms -verify -binary -inform DER -in A.xml.sig -content A.xml \
	-CAfile ca/ca.crt -out /dev/null
openssl cms -cmsout -print -inform DER -in A.xml.sig >out 2>&1
if [ "$(sed -n '/signerInfos:/,$p' out | grep -c 'd.issuerAndSerialNumber')" -eq 2 ] &&
    has "subject: CN=home.example" && has "subject: CN=roam.example"; then
	ok "openssl sees both signers in A.xml.sig"
else
	nok "openssl sees both signers in A.xml.sig"
fi
cp A.xml A.orig
sed -i 's/rate="12"/rate="13"/' A.xml
refuses "agreement verify: a changed agreement is invalid" 1 "^invalid:" \
	"$PKI" agreement verify --ca ca/ca.crt A.xml
refuses "openssl cms -verify fails on the changed agreement" fail "" \
	openssl cms -verify -binary -inform DER -in A.xml.sig -content A.xml \
	-CAfile ca/ca.crt -out /dev/null
cp A.orig A.xml
check "revoke the visited realm" "$PKI" revoke --dir ca --cert roam.example.crt
check "crl after that revocation" "$PKI" crl --dir ca --out crl2.pem
refuses "agreement verify with the new CRL: a signer is revoked" 1 "^invalid: .*revoked" \
	"$PKI" agreement verify --ca ca/ca.crt --crl crl2.pem A.xml
refuses "agreement verify without its signature file" 1 "^invalid:" \
	"$PKI" agreement verify --ca ca/ca.crt B.xml

# --- usage errors exit 2
refuses "no command: usage, exit 2" 2 "usage:" "$PKI"
refuses "unknown command: exit 2" 2 "unknown command" "$PKI" frobnicate
refuses "init without --dir: exit 2" 2 "usage:" "$PKI" init --name X
refuses "issue without --realm: exit 2" 2 "usage:" \
	"$PKI" issue --dir ca --csr "req/$R.csr" --out y.crt
refuses "unknown option: exit 2" 2 "unknown option" "$PKI" crl --dir ca --out c.pem --bogus
refuses "bad --days: exit 2" 2 "--days" "$PKI" crl --dir ca --out c.pem --days zero
refuses "--next-update in the past: exit 2" 2 "--next-update" \
	"$PKI" crl --dir ca --out c.pem --next-update 2020-01-01T00:00:00Z
next=$(date -u -d '+90 minutes' +%Y-%m-%dT%H:%M:%SZ)
check "crl --next-update: an exact nextUpdate" \
	"$PKI" crl --dir ca --out c.pem --next-update "$next"
check "  ... which openssl reads back" sh -c \
	"openssl crl -in c.pem -noout -nextupdate | grep -q \"$(date -u -d "$next" '+%b %e %H:%M:%S %Y')\""

refuses "bad --reason: exit 2" 2 "reason" \
	"$PKI" revoke --dir ca --serial 01 --reason sometimes
refuses "revoke with both --cert and --serial: exit 2" 2 "usage:" \
	"$PKI" revoke --dir ca --serial 01 --cert "$R.crt"
refuses "verify without a certificate: exit 2" 2 "usage:" "$PKI" verify --ca ca/ca.crt
refuses "option without a value: exit 2" 2 "needs a value" "$PKI" crl --out c.pem --dir
check "--help exits 0" "$PKI" issue --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
