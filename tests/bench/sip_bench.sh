#!/bin/bash
# SIP registrations per second through a real Kamailio driven by sipp, both
# configurations in one invocation, back to back, same ports and settings:
#   - kamailio_register_noagent: examples/kamailio/kamailio.cfg with
#     RT_BYPASS_AGENT=1 (the agent is never asked: a benchmark baseline,
#     never a production setting); sipp's register_noauth.xml, REGISTER -> 200;
#   - kamailio_register_roaming: the same file asking roamtrust-agent; sipp's
#     register.xml: REGISTER -> 401 (the agent's challenge) -> REGISTER with
#     the digest -> agent -> visited broker -> home broker (digest checked
#     against the stored HA1, assertion signed) -> 200, for every
#     registration (the home broker's /metrics must count each one), over
#     SUBSCRIBERS subscribers in turn;
#   - kamailio_register_roaming_p50/_p99: sipp's response times of the
#     roaming run, first REGISTER to the 200, in whole milliseconds (sipp's
#     resolution), at the run's load: with CONCURRENCY registrations in
#     progress they are mostly queueing (about CONCURRENCY / rate).
# Each configuration is warmed up with one registration per subscriber,
# then runs a fixed count: 1500 x BENCH_SECONDS (default 2) roaming
# registrations, ten times as many for the baseline. A failed registration
# is an error: counted on stderr, exit 1; a retransmission (a UDP drop) is
# reported on stderr.
# sipp keeps SIP_BENCH_CONCURRENCY (200) registrations in progress, at most
# SIP_BENCH_RATE new ones a second (100000: the bound is the concurrency).
# sipp turns each registration around in ~5 ms even when Kamailio answers in
# 0.05 ms, so the baseline grows with the concurrency (15k/s at 100, 25k/s
# at 200, 36k/s at 400 where sipp runs out of CPU on 2 cores): it is a lower
# bound of bare Kamailio, and the ratio an upper bound. 200 is what the
# roaming path takes without reaching sipp's 500 ms retransmission timer.
# SIP_BENCH_VERBOSE=1 prints each process's CPU per run to stderr.
# Prints "bench: NAME VALUE UNIT [ratio R vs BASE]".
set -u
. "$(dirname "$0")/../integration/common.inc"
top=$(cd "$(dirname "$0")/../.." && pwd)
AGENT="$RT_BIN/roamtrust-agent"
SCEN="$top/examples/sipp"

BENCH_SECONDS=${BENCH_SECONDS:-2}
SUBSCRIBERS=100
PASSWORD='Bench-Roamer-2026!'
CONCURRENCY=${SIP_BENCH_CONCURRENCY:-200}
RATE=${SIP_BENCH_RATE:-100000}
ROAMING_COUNT=$(awk -v s="$BENCH_SECONDS" 'BEGIN { n = int(s * 1500); print (n < 300 ? 300 : n) }')
NOAGENT_COUNT=$((ROAMING_COUNT * 10))

die() {
	echo "sip_bench: $*" >&2
	FAIL=1
	exit 1
}
command -v kamailio >/dev/null && command -v sipp >/dev/null ||
    die "kamailio and sipp are needed (make deps installs them)"
[ -x "$AGENT" ] && [ -x "$BROKER" ] || die "build first: $RT_BIN has no roamtrust-agent/broker"
cd "$WORK" || die "no work folder"

# --- federation: CA, two realms, their agreement ---
"$PKI" init --dir ca --name "Bench Federation" >/dev/null || die "pki init failed"
for r in home.example visited.example; do
	"$PKI" request --realm "$r" --out "$r" >/dev/null &&
	    "$PKI" issue --dir ca --csr "$r/$r.csr" --realm "$r" --out "$r/$r.crt" >/dev/null ||
	    die "pki: no certificate for $r"
done
"$PKI" crl --dir ca --out crl.pem >/dev/null || die "pki crl failed"
mkdir -p agreements
"$PKI" agreement new --home home.example --visited visited.example \
    --service voice:minute:12 --currency EUR --max-assertion 600 \
    --out agreements/hv.xml >/dev/null &&
    "$PKI" agreement sign --key home.example/home.example.key \
    --cert home.example/home.example.crt agreements/hv.xml >/dev/null &&
    "$PKI" agreement sign --key visited.example/visited.example.key \
    --cert visited.example/visited.example.crt agreements/hv.xml >/dev/null ||
    die "agreement failed"

HOME_PORT=$(free_port)
VISITED_PORT=$(free_port)
HOME_METRICS=$(free_port)
broker_conf() {	# realm port peer peer_port [metrics port]
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
log_level = warn
${5:+metrics_listen = 127.0.0.1:$5}

[peer.$3]
endpoint = tls+tcp://127.0.0.1:$4
EOF
}
broker_conf home.example "$HOME_PORT" visited.example "$VISITED_PORT" "$HOME_METRICS"
broker_conf visited.example "$VISITED_PORT" home.example "$HOME_PORT"

AGENT_PORT=$(free_port)
SIP_PORT=$(free_port)
UAC_PORT=$(free_port)
cat >agent.conf <<EOF
[agent]
realm = visited.example
broker = ipc://$WORK/state-visited.example/agent.sock
listen = 127.0.0.1:$AGENT_PORT
state_dir = $WORK/state-agent
digest_algorithms = MD5
proxy_uris = 127.0.0.1:$SIP_PORT
log_level = warn
EOF

start broker-home "$BROKER" run -c home.example.conf
start broker-visited "$BROKER" run -c visited.example.conf
peer_up() { "$BROKER" peers -c "$1.conf" 2>/dev/null | grep -q "^$2 *up"; }
wait_for 20 peer_up visited.example home.example || die "the brokers do not peer"

# user1..userN at home, one password; the injection file cycles over them
printf 'SEQUENTIAL\n' >users.csv
for i in $(seq 1 "$SUBSCRIBERS"); do
	printf '%s\n' "$PASSWORD" | "$BROKER" subscriber add "sip:user$i@home.example" \
	    "user$i" --services voice --password-stdin -c home.example.conf >/dev/null ||
	    die "cannot provision user$i"
	printf 'user%s;home.example;\n' "$i" >>users.csv
done
start agent "$AGENT" run -c agent.conf
agent_up() { running agent && http_get "$AGENT_PORT" /metrics | grep -q '^HTTP/1.. 404'; }
wait_for 10 agent_up || die "the agent does not answer on 127.0.0.1:$AGENT_PORT"

# kamailio CONFIG: start the same kamailio.cfg, bypassing the agent or not
kamailio_start() {
	mkdir -p "$WORK/kamailio-run"
	start kamailio env RT_LISTEN="udp:127.0.0.1:$SIP_PORT" \
	    RT_AGENT="agent=>http://127.0.0.1:$AGENT_PORT/v1" \
	    ${1:+RT_BYPASS_AGENT=1} \
	    kamailio -DD -E -f "$top/examples/kamailio/kamailio.cfg" -m 128 -M 16 \
	    -Y "$WORK/kamailio-run"
	sip_up() { logged kamailio 'INFO: <core>.*main process|Listening on'; }
	wait_for 10 sip_up && sleep 0.2 && running kamailio ||
	    die "Kamailio does not start (see $WORK/kamailio.log)"
}

# CPU seconds (user + system) used so far by a process and its children
# (Kamailio's workers), and by each of ours: "NAME SECONDS" lines.
cpu_of() {
	for p in $1 $(ps -o pid= --ppid "$1" 2>/dev/null); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 }
	    END { printf "%.2f", t / hz }'
}
cpu_all() {
	for n in kamailio agent broker-visited broker-home; do
		[ -f "$WORK/$n.pid" ] && echo "$n $(cpu_of "$(cat "$WORK/$n.pid")")"
	done
	# sipp, once waited for: this shell's children's times (written by the
	# shell itself: a subshell's would be its own)
	awk 'NR == 2 { gsub(/[ms]/, " "); print "sipp", $1 * 60 + $2 + $3 * 60 + $4 }' \
	    "$WORK/times"
}

# The home broker's count of successful authentications (its /metrics).
home_auth_ok() {
	http_get "$HOME_METRICS" /metrics 2>/dev/null |
	    awk '/^roamtrust_home_auth_total\{result="ok"\}/ { print $2; found = 1 }
	    END { if (!found) print -1 }'
}

# sipp_run NAME SCENARIO COUNT: COUNT registrations at most CONCURRENCY at a
# time. Sets $rate (registrations/s, sipp's start to its end) and writes
# NAME.rtt (the response times, ms). Any failed registration ends the
# benchmark with an error.
sipp_run() {
	name=$1 scen=$2 count=$3
	rm -f ./*_rtt.csv
	times >"$WORK/times"
	cpu0=$(cpu_all)
	sipp -sf "$SCEN/$scen" -inf users.csv -au '[field0]' -ap "$PASSWORD" \
	    -i 127.0.0.1 -p "$UAC_PORT" -m "$count" -r "$RATE" -rp 1000 -l "$CONCURRENCY" \
	    -timeout 60s -timeout_error -max_recv_loops 1000 -nostdin -buff_size 4194304 \
	    -trace_stat -stf "$name.stat" -fd 600 -trace_rtt -rtt_freq 1 \
	    -trace_err -error_file "$name.err" \
	    "127.0.0.1:$SIP_PORT" >"$name.out" 2>&1
	rc=$?
	times >"$WORK/times"
	if [ -n "${SIP_BENCH_VERBOSE:-}" ]; then
		printf '%s\n' "$cpu0" | awk -v name="$name" -v count="$count" '
		    NR == FNR { t0[$1] = $2; next }
		    { d = $2 - t0[$1]; total += d
		      out = out sprintf(" %s=%.2fs", $1, d) }
		    END { printf "# %s cpu:%s total=%.2fs (%.0f us/registration)\n",
			name, out, total, total * 1e6 / count }' - <(cpu_all) >&2
	fi
	cat ./*_rtt.csv 2>/dev/null | awk -F';' 'NR > 1 && $3 == 1 { print $2 }' >"$name.rtt"
	# the last statistics line: sipp's start and end, calls ok and failed,
	# retransmissions (a UDP drop costs the 500 ms retransmission timer)
	read -r ok failed retrans secs < <(awk -F';' '
	    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	    { last = $0 }
	    END {
		split(last, f, ";")
		split(f[col["StartTime"]], s, "\t")
		split(f[col["CurrentTime"]], e, "\t")
		print f[col["SuccessfulCall(C)"]] + 0, f[col["FailedCall(C)"]] + 0,
		    f[col["Retransmissions(C)"]] + 0, e[3] - s[3]
	    }' "$name.stat" 2>/dev/null)
	ok=${ok:-0} failed=${failed:-0} retrans=${retrans:-0}
	[ $((count - ok)) -gt "$failed" ] && failed=$((count - ok))
	if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		echo "sip_bench: $name: $failed of $count registrations failed" \
		    "(sipp exit $rc; see $WORK/$name.out, $name.err)" >&2
		FAIL=1
		exit 1
	fi
	case $name in warm-*) ;; *)
		[ "$retrans" -gt 0 ] && echo "sip_bench: $name: $retrans retransmissions" \
		    "(UDP drops, each waited 500 ms: lower SIP_BENCH_CONCURRENCY)" >&2
	esac
	[ "$(wc -l <"$name.rtt")" -eq "$count" ] ||
	    die "$name: sipp recorded $(wc -l <"$name.rtt") response times for $count registrations"
	rate=$(awk -v n="$ok" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
}

# percentile P FILE: the P-th percentile of the numbers in FILE
percentile() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.0f", v[i] }'
}

# --- the baseline: the same Kamailio, the agent never asked ---
kamailio_start bypass
logged kamailio 'RT_BYPASS_AGENT=1: the agent is bypassed' || die "Kamailio did not take RT_BYPASS_AGENT"
sipp_run warm-noagent register_noauth.xml "$SUBSCRIBERS"
sipp_run noagent register_noauth.xml "$NOAGENT_COUNT"
noagent=$rate
stop kamailio

# --- roaming: every registration challenged and verified at home ---
kamailio_start
sipp_run warm-roaming register.xml "$SUBSCRIBERS"
before=$(home_auth_ok)
sipp_run roaming register.xml "$ROAMING_COUNT"
roaming=$rate
after=$(home_auth_ok)
if [ "$before" -lt 0 ] || [ $((after - before)) -ne "$ROAMING_COUNT" ]; then
	echo "sip_bench: roaming: the home broker verified $((after - before)) of" \
	    "$ROAMING_COUNT registrations" >&2
	FAIL=1
	exit 1
fi

echo "bench: kamailio_register_noagent $noagent registrations/s"
echo "bench: kamailio_register_roaming $roaming registrations/s ratio" \
    "$(awk -v a="$roaming" -v b="$noagent" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
    "vs kamailio_register_noagent"
echo "bench: kamailio_register_roaming_p50 $(percentile 50 roaming.rtt) ms"
echo "bench: kamailio_register_roaming_p99 $(percentile 99 roaming.rtt) ms"
