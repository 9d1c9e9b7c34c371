#!/bin/bash
# Repro: `mount -o ro` and `check` (without --repair) of a store that crashed with fsync'd writes in its journal
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V="dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"
E=$(mktemp -d -t brkR.XXXX); mkdir $E/m
$V format $E/s --physical-size 1G --index-memory 8M --sparse >/dev/null
$V mount $E/s $E/m
echo hello > $E/m/f; sync $E/m/f $E/m
kill -9 $(awk '{print $1}' $E/s/store.lock); sleep 1; $V unmount $E/m
$V mount $E/s $E/m -o ro; echo "mount -o ro rc=$?"
$V check $E/s; echo "check rc=$?"
$V mount $E/s $E/m && cat $E/m/f && $V unmount $E/m
rm -rf $E
