#!/usr/bin/env bash
# Recovery bench: how long a mount takes to replay a journal covering N GiB of writes (default 4).
# Formats a store, mounts it with checkpoints held off, writes N GiB of unique data with one fsync at the end,
# kill -9's the daemon, mounts again and reports the replay line from the store's log, the mount time, and
# whether the file reads back with the same SHA-256.
#   integration/bench/recovery.sh [GIB]          (--quick: 256 MiB, for CI)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MIB=4096
if [[ ${1:-} == --quick ]]; then MIB=256; elif [[ -n ${1:-} ]]; then MIB=$(( $1 * 1024 )); fi
VDOFUSE=${VDOFUSE_BIN:-"dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"}
# The CLI reads VDOFUSE_* variables as configuration (VDOFUSE_BIN would be an unknown section "BIN").
unset VDOFUSE_BIN
WORK=$(mktemp -d -t vdofuse-it-recovery.XXXXXX)
STORE=$WORK/store MNT=$WORK/mnt
mkdir -p "$MNT"

cleanup() {
    if [[ $? -ne 0 && -f $STORE/vdofuse.log ]]; then
        echo "recovery: the store's log ends with:" >&2
        tail -20 "$STORE/vdofuse.log" >&2
    fi
    $VDOFUSE unmount "$MNT" >/dev/null 2>&1 || fusermount3 -uz "$MNT" 2>/dev/null || true
    pkill -9 -f "vdofuse.dll mount $STORE" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The store is three times the data, so that the journal (1/256 of the store) holds the whole run.
SIZE_GIB=$(( (MIB * 3 + 1023) / 1024 ))
$VDOFUSE format "$STORE" --physical-size "${SIZE_GIB}G" >/dev/null
# Checkpoints held off for the run: everything written lives in the journal only.
export VDOFUSE_STORE__CHECKPOINT_INTERVAL_MS=86400000
$VDOFUSE mount "$STORE" "$MNT"
echo "recovery: writing $MIB MiB of unique data (one fsync at the end)"
head -c "$((MIB << 20))" /dev/urandom | dd of="$MNT/big" bs=1M iflag=fullblock conv=fsync status=none
expected=$(sha256sum "$MNT/big" | cut -d' ' -f1)
pid=$(awk '{print $1}' "$STORE/store.lock")
kill -9 "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]] || break; sleep 0.1; done
unset VDOFUSE_STORE__CHECKPOINT_INTERVAL_MS

start=$(date +%s%N)
$VDOFUSE mount "$STORE" "$MNT"
mount_ms=$(( ($(date +%s%N) - start) / 1000000 ))
actual=$(sha256sum "$MNT/big" | cut -d' ' -f1)
$VDOFUSE unmount "$MNT"
line=$(grep -o 'replaying [0-9]* journal operations ([0-9]* journal blocks) in [0-9]* ms' "$STORE/vdofuse.log" | tail -1 || true)
echo "recovery: $MIB MiB of writes: ${line:-no replay logged}; mount with recovery took $mount_ms ms"
if [[ $actual != "$expected" ]]; then
    echo "recovery: FAIL: the file reads back with another SHA-256 after recovery" >&2
    exit 1
fi
[[ -n $line ]] || { echo "recovery: FAIL: the mount did not replay the journal" >&2; exit 1; }
$VDOFUSE check "$STORE" >/dev/null
echo "recovery: content identical, check clean"
