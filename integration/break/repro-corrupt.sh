#!/bin/bash
# Repro: one corrupted journal block in the middle -> mount succeeds silently, later fsync'd files are gone,
# and a deleted file comes back holding the data of the file that reused its blocks.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V="dotnet $ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll"
E=$(mktemp -d -t brkC.XXXX); mkdir $E/m
$V format $E/s --physical-size 300M --index-memory 8M >/dev/null
$V mount $E/s $E/m
head -c 100M /dev/urandom > $E/m/keep; head -c 100M /dev/urandom > $E/m/A; head -c 100M /dev/zero | tr '\0' 'F' > $E/m/fill 2>/dev/null
$V unmount $E/m                                   # clean: checkpoint holds keep, A, fill
VDOFUSE_STORE__CHECKPOINT_INTERVAL_MS=86400000 $V mount $E/s $E/m
rm $E/m/A; sync $E/m                              # journal: A deleted (fsyncdir)
head -c 90M /dev/zero | tr '\0' 'B' > $E/srcB; dd if=$E/srcB of=$E/m/B bs=1M conv=fsync status=none   # B reuses A's blocks
for i in 1 2 3; do echo "small $i" > $E/m/s$i; sync $E/m/s$i $E/m; done
kill -9 $(awk '{print $1}' $E/s/store.lock); sleep 1; $V unmount $E/m
python3 $ROOT/integration/break/jscan.py $E/s/data 3
pbn=$(python3 $ROOT/integration/break/jscan.py $E/s/data 1 | awk '/^seq/ {print $5}')
echo "corrupting one byte of the first journal block after the checkpoint (block $pbn)"
printf 'X' | dd of=$E/s/data bs=1 seek=$((pbn*4096+2000)) conv=notrunc status=none
$V mount $E/s $E/m; echo "mount rc=$?"
ls $E/m; echo "A holds: $(head -c 16 $E/m/A 2>/dev/null | od -c | head -1)"
$V unmount $E/m; $V check $E/s --quiet; echo "check rc=$?"; echo "store $E"
