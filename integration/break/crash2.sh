#!/bin/bash
# crash2.sh N [extra mount env...]: python writer (links, xattrs, punch, copy_file_range, mmap, renames) + kill -9
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V="dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"
vf() { $V "$@"; }
dpid() { awk '{print $1}' "$1/store.lock" 2>/dev/null; }
N=${1:-50}
W=$(mktemp -d -t brk2.XXXX); S=$W/s M=$W/m L=$W/ledger
mkdir -p $M
echo "work $W"
vf format $S --physical-size 2G --index-memory 8M --sparse >/dev/null
cleanup() { p=$(dpid $S); [[ -n $p ]] && kill -9 $p 2>/dev/null; sleep 0.5; vf unmount $M >/dev/null 2>&1 || fusermount3 -uz $M 2>/dev/null; }
trap cleanup EXIT
fails=0
for ((i=1;i<=N;i++)); do
  if ! vf mount $S $M > $W/mount.out 2>&1; then echo "iter $i: MOUNT FAILED: $(cat $W/mount.out)"; tail -5 $S/vdofuse.log; exit 1; fi
  if [[ -f $L ]]; then
    if ! python3 $ROOT/integration/break/writer.py verify $M $L > $W/verify.out 2>&1; then echo "iter $i: VERIFY FAILED (seed $((i-1)))"; cat $W/verify.out; cp $L $W/ledger.fail.$i; fails=$((fails+1)); fi
  fi
  python3 $ROOT/integration/break/writer.py snapshot $M $L
  python3 $ROOT/integration/break/writer.py write $M $L $((i*7919)) 2> $W/writer.err &
  wp=$!
  sleep $((RANDOM % 4 + 1)).$((RANDOM % 10))
  p=$(dpid $S); kill -9 $p
  for _ in $(seq 100); do s=$(awk '{print $3}' /proc/$p/stat 2>/dev/null || echo gone); [[ $s == Z || $s == gone ]] && break; sleep 0.05; done
  wait $wp
  if grep -q "unexpected" $W/writer.err; then echo "iter $i: writer error:"; tail -3 $W/writer.err; fi
  if (( i % 10 == 0 )); then
    vf mount $S $M >/dev/null || { echo "iter $i: mount failed"; exit 1; }
    python3 $ROOT/integration/break/writer.py verify $M $L || { echo "iter $i: VERIFY FAILED"; fails=$((fails+1)); }
    python3 $ROOT/integration/break/writer.py snapshot $M $L
    vf unmount $M >/dev/null
    vf check $S --quiet > $W/check.out 2>&1 || { echo "iter $i: CHECK FAILED"; cat $W/check.out; fails=$((fails+1)); }
  fi
  echo "iter $i ok-ish ($(grep -o 'replaying [0-9]* journal operations ([0-9]* journal blocks)' $W/mount.out))"
done
vf mount $S $M >/dev/null && python3 $ROOT/integration/break/writer.py verify $M $L; vf unmount $M
vf check $S --quiet
echo "DONE $N iterations, $fails failures"
