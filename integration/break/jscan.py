#!/usr/bin/env python3
# jscan.py DATA [N]: the super block's journal head and the first N journal blocks from it (seq, pbn, epoch, used)
import struct, sys
f = open(sys.argv[1], "rb")
g = f.read(4096)
start, n = struct.unpack_from("<Q", g, 80)[0], struct.unpack_from("<I", g, 88)[0]
supers = []
for pbn in (1, 2):
    f.seek(pbn * 4096); d = f.read(4096)
    if d[:4] == b"VDOF":
        supers.append((struct.unpack_from("<Q", d, 72)[0], struct.unpack_from("<Q", d, 80)[0], struct.unpack_from("<Q", d, 24)[0]))
seq, head, epoch = max(supers)
print(f"super: checkpoint {seq}, journal head {head}, epoch {epoch}; journal at {start}, {n} blocks")
for s in range(head, head + (int(sys.argv[2]) if len(sys.argv) > 2 else 10)):
    p = start + s % n
    f.seek(p * 4096); d = f.read(4096)
    e, st = struct.unpack_from("<QQ", d, 24)
    print(f"seq {s} at block {p} (stamp {st}, epoch {e}, used {struct.unpack_from('<H', d, 52)[0]})")
