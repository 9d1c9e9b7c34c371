#!/usr/bin/env bash
# Crash loop with real FUSE: a writer does fsync'd writes, overwrites, truncates, deletes and renames (with
# fsyncdir) while the daemon is kill -9'ed at a random moment; then mount again (no manual step), verify every
# file whose last change was fsync'd, unmount and run `vdofuse check`. Zero violations or it fails.
#   integration/crash-loop.sh [ITERATIONS]      (default 50; VDOFUSE_BIN overrides the vdofuse command)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ITERATIONS=${1:-50}
VDOFUSE=${VDOFUSE_BIN:-"dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"}
# The CLI reads VDOFUSE_* variables as configuration (VDOFUSE_BIN would be an unknown section "BIN").
unset VDOFUSE_BIN
WORK=$(mktemp -d -t vdofuse-it-crash.XXXXXX)
STORE=$WORK/store MNT=$WORK/mnt LEDGER=$WORK/ledger SHADOW=$WORK/shadow
mkdir -p "$MNT" "$SHADOW"
writer_pid=""

daemon_pid() { awk '{print $1}' "$STORE/store.lock" 2>/dev/null || true; }

cleanup() {
    [[ -n $writer_pid ]] && kill -9 "$writer_pid" 2>/dev/null || true
    $VDOFUSE unmount "$MNT" >/dev/null 2>&1 || fusermount3 -uz "$MNT" 2>/dev/null || true
    pkill -9 -f "vdofuse.dll mount $STORE" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "crash-loop: FAIL: $*" >&2; exit 1; }

# The writer appends "done NAME SHA256" (or "gone NAME") to the ledger only after the change and its fsync
# returned; "begin NAME" before it starts, so a change in flight at the crash is known to be in flight. Each
# change is also applied to a shadow copy on the local disk, and the sums come from the shadow, never from the
# mount (which dies under the writer). Any failing command ends the writer (set -e) before its "done".
writer() {
    local seed=$1 name size other
    RANDOM=$seed
    while true; do
        name=f$((RANDOM % 12))
        case $((RANDOM % 8)) in
            0|1|2)  # new content, fsync'd
                size=$(( (RANDOM % 64 + 1) * 16384 + RANDOM % 4096 ))
                echo "begin $name" >>"$LEDGER"
                head -c "$size" /dev/urandom >"$WORK/tmp.$seed"
                # Some blocks repeat earlier content, so dedupe is exercised across crashes.
                [[ -f $SHADOW/$name ]] && head -c 65536 "$SHADOW/$name" >>"$WORK/tmp.$seed"
                dd if="$WORK/tmp.$seed" of="$MNT/$name" bs=128k conv=fsync status=none
                cp "$WORK/tmp.$seed" "$SHADOW/$name"
                echo "done $name $(sha256sum <"$SHADOW/$name" | cut -c1-64)" >>"$LEDGER" ;;
            3)  # overwrite in the middle, fsync'd
                [[ -f $SHADOW/$name ]] || continue
                echo "begin $name" >>"$LEDGER"
                head -c 9000 /dev/urandom >"$WORK/patch.$seed"
                dd if="$WORK/patch.$seed" of="$MNT/$name" bs=9000 seek=1 conv=notrunc,fsync status=none
                dd if="$WORK/patch.$seed" of="$SHADOW/$name" bs=9000 seek=1 conv=notrunc status=none
                echo "done $name $(sha256sum <"$SHADOW/$name" | cut -c1-64)" >>"$LEDGER" ;;
            4)  # truncate, fsync'd
                [[ -f $SHADOW/$name ]] || continue
                echo "begin $name" >>"$LEDGER"
                size=$((RANDOM * 7))
                truncate -s "$size" "$MNT/$name"
                sync "$MNT/$name"
                truncate -s "$size" "$SHADOW/$name"
                echo "done $name $(sha256sum <"$SHADOW/$name" | cut -c1-64)" >>"$LEDGER" ;;
            5)  # delete, fsyncdir
                [[ -f $SHADOW/$name ]] || continue
                echo "begin $name" >>"$LEDGER"
                rm "$MNT/$name"
                sync "$MNT"
                rm -f "$SHADOW/$name"
                echo "gone $name" >>"$LEDGER" ;;
            6)  # rename over another name, fsyncdir
                other=f$((RANDOM % 12))
                [[ -f $SHADOW/$name && $name != "$other" ]] || continue
                echo "begin $name" >>"$LEDGER"
                echo "begin $other" >>"$LEDGER"
                mv -f "$MNT/$name" "$MNT/$other"
                sync "$MNT"
                mv -f "$SHADOW/$name" "$SHADOW/$other"
                echo "gone $name" >>"$LEDGER"
                echo "done $other $(sha256sum <"$SHADOW/$other" | cut -c1-64)" >>"$LEDGER" ;;
            7)  # unsynced noise: may or may not survive, never checked
                echo "begin noise" >>"$LEDGER"
                head -c 200000 /dev/urandom >"$MNT/noise" ;;
        esac
    done
}

verify() {
    # The last settled state of each name; a name whose last record is "begin" is in flight: not checked.
    awk '{ state[$2] = $0 } END { for (n in state) print state[n] }' "$LEDGER" | while read -r kind name sum; do
        case $kind in
            done)
                [[ -f $MNT/$name ]] || fail "iteration $1: fsync'd file $name is missing"
                actual=$(sha256sum <"$MNT/$name" | cut -c1-64)
                [[ $actual == "$sum" ]] || fail "iteration $1: fsync'd file $name has the wrong content" ;;
            gone)
                [[ ! -e $MNT/$name ]] || fail "iteration $1: deleted (fsyncdir'd) file $name is back" ;;
        esac
    done
}

$VDOFUSE format "$STORE" --physical-size 1G --index-memory 8M --sparse >/dev/null
: >"$LEDGER"
for ((i = 1; i <= ITERATIONS; i++)); do
    $VDOFUSE mount "$STORE" "$MNT" >/dev/null || fail "iteration $i: mount after a crash failed"
    verify "$i"
    # Start each iteration from what the store holds now (files in flight at the crash settle here).
    rm -f "$SHADOW"/*
    for f in "$MNT"/f*; do
        [[ -f $f ]] || continue
        cp "$f" "$SHADOW/"
        echo "done $(basename "$f") $(sha256sum <"$f" | cut -c1-64)"
    done >"$LEDGER"
    writer $((i * 7919)) &
    writer_pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    pid=$(daemon_pid)
    [[ -n $pid ]] || fail "iteration $i: no daemon pid in $STORE/store.lock"
    kill -9 "$pid"
    # Wait until the killed daemon is gone (a zombie counts: its /dev/fuse is closed).
    for _ in $(seq 100); do
        state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
        [[ $state == Z || $state == gone ]] && break
        sleep 0.05
    done
    wait "$writer_pid" 2>/dev/null || true
    writer_pid=""
    # The killed daemon's mountpoint is dead (ENOTCONN) until the next mount cleans it up.
    if ((i % 10 == 0)); then
        $VDOFUSE mount "$STORE" "$MNT" >/dev/null || fail "iteration $i: mount after a crash failed"
        verify "$i"
        $VDOFUSE unmount "$MNT" >/dev/null || fail "iteration $i: unmount failed"
        $VDOFUSE check "$STORE" --quiet >"$WORK/check.txt" || { cat "$WORK/check.txt"; fail "iteration $i: check found problems"; }
    fi
    echo "crash-loop: iteration $i/$ITERATIONS ok"
done
$VDOFUSE mount "$STORE" "$MNT" >/dev/null || fail "final mount failed"
verify final
$VDOFUSE unmount "$MNT" >/dev/null
$VDOFUSE check "$STORE" --quiet >"$WORK/check.txt" || { cat "$WORK/check.txt"; fail "final check found problems"; }
echo "crash-loop: $ITERATIONS iterations, 0 violations"
