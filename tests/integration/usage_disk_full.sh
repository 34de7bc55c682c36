#!/bin/bash
# The agent's usage spool on a disk that fills up (a 4 MiB tmpfs, most of
# it taken by a filler file): writes fail with a storage error and are
# never acknowledged, every record that was acknowledged is on disk (read
# back by another connection) and nothing else is, and once there is room
# again the same spool stores. Mounting needs root: skipped without it.
set -u
. "$(dirname "$0")/common.inc"

SMALL="$WORK/small"
mkdir -p "$SMALL"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$SMALL" 2>/dev/null; then
	echo "ok - skipped: mounting a small tmpfs needs root"
	finish
	exit
fi
trap 'umount "$SMALL" 2>/dev/null; cleanup' EXIT

dd if=/dev/zero of="$SMALL/filler" bs=1024 count=3072 2>/dev/null
"$TOOLS/rt_spool_fill" "$SMALL/spool.db" "$SMALL/filler" >"$WORK/fill.out" 2>&1
status=$?
cat "$WORK/fill.out" >>"$WORK/checks.log"
ok "the disk fills: writes fail with a storage error (never acknowledged)" \
    grep -Eq 'failed [1-9][0-9]* error (no_space|io|read_only) ' "$WORK/fill.out"
ok "  ... many were acknowledged before" grep -Eq '^acked [1-9][0-9]* ' "$WORK/fill.out"
ok "every acknowledged record is on disk, and nothing else is" \
    grep -q 'missing 0 extra 0$' "$WORK/fill.out"
ok "with room again the same spool stores (and acknowledges) each record" \
    grep -q 'after_room 20 ' "$WORK/fill.out"
ok "rt_spool_fill agrees" test "$status" -eq 0
finish
