#!/bin/bash
# Repro: crash after delete+rewrite on a full store -> mount refused (replay NoSpace)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V="dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"
E=$(mktemp -d -t brkE.XXXX); mkdir $E/m
$V format $E/s --physical-size 300M --index-memory 8M >/dev/null
$V mount $E/s $E/m
for i in 1 2 3; do head -c 100M /dev/urandom > $E/m/f$i 2>/dev/null; done   # third one hits ENOSPC
sync $E/m/f1
rm $E/m/f3; sync $E/m
head -c 40M /dev/urandom > $E/src; dd if=$E/src of=$E/m/f4 bs=1M conv=fsync status=none && echo "f4 written and fsync'd"
kill -9 $(awk '{print $1}' $E/s/store.lock); sleep 1
$V mount $E/s $E/m; echo "mount rc=$?"
cmp $E/src $E/m/f4 && echo "f4 intact"
$V unmount $E/m 2>/dev/null
echo "store: $E"
