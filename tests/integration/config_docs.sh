#!/bin/bash
# The documented configuration stays true: examples/broker.conf and
# examples/agent.conf are what --print-defaults prints, and `check` reports
# a bad configuration with FILE:LINE and the line.
set -u
. "$(dirname "$0")/common.inc"
top=$(cd "$(dirname "$0")/../.." && pwd)

"$BROKER" --print-defaults >"$WORK/defaults.conf"
ok "examples/broker.conf matches --print-defaults (regenerate it if not)" \
    cmp -s "$WORK/defaults.conf" "$top/examples/broker.conf"
"$RT_BIN/roamtrust-agent" --print-defaults >"$WORK/agent-defaults.conf"
ok "examples/agent.conf matches roamtrust-agent --print-defaults" \
    cmp -s "$WORK/agent-defaults.conf" "$top/examples/agent.conf"
printf '[agent]\nrealm = v.example\nbroker = ipc:///x\nstate_dir = /tmp\nretry_after = soon\n' \
    >"$WORK/bad-agent.conf"
"$RT_BIN/roamtrust-agent" check -c "$WORK/bad-agent.conf" >/dev/null 2>"$WORK/bad-agent.err"
ok "the agent's check names file:line of a bad value" grep -q "bad-agent.conf:5:" "$WORK/bad-agent.err"

printf '[broker]\nrealm = a.example\nlistne = tls+tcp://0.0.0.0:7000\n' >"$WORK/bad.conf"
"$BROKER" check -c "$WORK/bad.conf" >"$WORK/bad.out" 2>"$WORK/bad.err"
status=$?
ok "check exits non-zero on an unknown key" test "$status" -ne 0
ok "  ... naming file:line and the line" \
    grep -q "bad.conf:3: unknown key 'listne' in \[broker\]" "$WORK/bad.err"
ok "  ... and counts it as the report's one problem" \
    test "$(cat "$WORK/bad.out")" = "1 problem"
printf '[broker]\nclock_skew = forever\n' >"$WORK/bad2.conf"
"$BROKER" check -c "$WORK/bad2.conf" >/dev/null 2>"$WORK/bad2.err"
ok "a bad value is reported with its line" grep -q "bad2.conf:2:" "$WORK/bad2.err"
ok "a missing file is reported" eval '! "$BROKER" check -c "$WORK/nope.conf" 2>/dev/null'
finish
