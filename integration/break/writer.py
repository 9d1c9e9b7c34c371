#!/usr/bin/env python3
"""Adversarial writer / verifier for VdoFuse crash testing.
writer.py write MNT LEDGER SEED     -- runs until killed; ledger records settled (fsync'd) states
writer.py verify MNT LEDGER         -- checks every settled name; exit 1 on violation
writer.py snapshot MNT LEDGER       -- writes ledger lines for the current state (start of an iteration)
Ledger lines: 'begin NAME' | 'done NAME SHA NLINK XATTRHASH' | 'gone NAME'
"""
import ctypes, hashlib, mmap, os, random, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
DIRS = ["d0", "d1", "d2", ""]
NAMES = [os.path.join(d, f"f{i}") if d else f"f{i}" for d in DIRS for i in range(8)]


def xhash(path):
    names = sorted(n for n in os.listxattr(path) if not n.startswith("user.vdo."))
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode() + b"=" + os.getxattr(path, n) + b";")
    return h.hexdigest()[:16]


def state_of(mnt, name):
    p = os.path.join(mnt, name)
    with open(p, "rb") as f:
        data = f.read()
    st = os.stat(p)
    return f"{hashlib.sha256(data).hexdigest()} {st.st_nlink} {xhash(p)}"


def snapshot(mnt, ledger):
    with open(ledger, "w") as out:
        for n in NAMES:
            if os.path.isfile(os.path.join(mnt, n)):
                out.write(f"done {n} {state_of(mnt, n)}\n")
            else:
                out.write(f"gone {n}\n")


def verify(mnt, ledger):
    last = {}
    for line in open(ledger):
        parts = line.split()
        if len(parts) >= 2:
            last[parts[1]] = parts
    bad = 0
    for name, parts in sorted(last.items()):
        p = os.path.join(mnt, name)
        if parts[0] == "done":
            if not os.path.isfile(p):
                print(f"VIOLATION: {name} missing (expected {' '.join(parts[2:])})"); bad += 1; continue
            got = state_of(mnt, name)
            if got != " ".join(parts[2:]):
                print(f"VIOLATION: {name}: got {got} expected {' '.join(parts[2:])}"); bad += 1
        elif parts[0] == "gone":
            if os.path.lexists(p):
                print(f"VIOLATION: {name} exists but was removed"); bad += 1
        else:
            # in flight: must at least be readable
            if os.path.isfile(p):
                try:
                    state_of(mnt, name)
                except OSError as e:
                    print(f"VIOLATION: in-flight {name} unreadable: {e}"); bad += 1
    return bad


class Writer:
    def __init__(self, mnt, ledger, seed):
        self.mnt, self.r = mnt, random.Random(seed)
        self.ledger = open(ledger, "a", buffering=1)
        self.seed = seed
        for d in DIRS:
            if d:
                os.makedirs(os.path.join(mnt, d), exist_ok=True)
        self.fsync_dir("")

    def p(self, n):
        return os.path.join(self.mnt, n)

    def log(self, s):
        self.ledger.write(s + "\n")
        self.ledger.flush()

    def fsync_dir(self, d):
        fd = os.open(os.path.join(self.mnt, d) if d else self.mnt, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def group(self, name):
        """Every existing name sharing the inode of name (hard links)."""
        try:
            ino = os.stat(self.p(name)).st_ino
        except FileNotFoundError:
            return [name]
        out = []
        for n in NAMES:
            try:
                if os.stat(self.p(n)).st_ino == ino:
                    out.append(n)
            except FileNotFoundError:
                pass
        return out or [name]

    def exists(self, n):
        try:
            os.stat(self.p(n))
            return True
        except FileNotFoundError:
            return False

    def settle(self, names):
        for n in sorted(set(names)):
            if self.exists(n):
                self.log(f"done {n} {state_of(self.mnt, n)}")
            else:
                self.log(f"gone {n}")

    def content(self, size):
        r = self.r
        kind = r.randrange(4)
        if kind == 0:
            return os.urandom(size)
        if kind == 1:  # dedupe-friendly: repeated 4K blocks
            blocks = [bytes([r.randrange(256)]) * 4096, os.urandom(4096), b"\0" * 4096]
            return b"".join(r.choice(blocks) for _ in range(size // 4096 + 1))[:size]
        if kind == 2:  # compressible text
            words = [b"alpha ", b"beta ", b"gamma ", b"delta\n"]
            return b"".join(r.choice(words) for _ in range(size // 5 + 1))[:size]
        return ((os.urandom(3000) + b"\0" * 1096) * (size // 4096 + 1))[:size]

    def step(self):
        r = self.r
        name = r.choice(NAMES)
        d = os.path.dirname(name)
        op = r.randrange(14)
        exists = self.exists(name)
        if op in (0, 1):  # new content
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            data = self.content(r.choice([100, 4096, 5000, 65536, 300000, 1 << 20]))
            fd = os.open(self.p(name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, data); os.fsync(fd); os.close(fd)
            self.fsync_dir(d)
            self.settle(affected + [name])
        elif op == 2 and exists:  # pwrite patch
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            fd = os.open(self.p(name), os.O_WRONLY)
            off = r.randrange(0, max(1, os.fstat(fd).st_size + 8192))
            os.pwrite(fd, self.content(r.randrange(1, 20000)), off); os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 3 and exists:  # truncate
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            fd = os.open(self.p(name), os.O_WRONLY)
            os.ftruncate(fd, r.choice([0, 1, 4095, 4097, r.randrange(0, 400000)])); os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 4 and exists:  # punch hole
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            fd = os.open(self.p(name), os.O_WRONLY)
            size = os.fstat(fd).st_size
            off, ln = r.randrange(0, max(1, size)), r.randrange(1, 100000)
            if libc.fallocate(fd, 3, off, ln) != 0:
                e = ctypes.get_errno()
                if e not in (95,):
                    raise OSError(e, "punch")
            os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 5 and exists:  # copy_file_range into another name
            other = r.choice(NAMES)
            if other == name: return
            affected = self.group(other) + [other]
            for n in affected: self.log(f"begin {n}")
            src = os.open(self.p(name), os.O_RDONLY)
            dst = os.open(self.p(other), os.O_WRONLY | os.O_CREAT, 0o644)
            size = os.fstat(src).st_size
            off = r.choice([0, 4096, r.randrange(0, max(1, size))])
            n_ = max(0, size - off)
            doff = r.choice([0, 4096, 123])
            done = 0
            while done < n_:
                c = os.copy_file_range(src, dst, n_ - done, off + done, doff + done)
                if c == 0: break
                done += c
            os.fsync(dst); os.close(dst); os.close(src)
            self.fsync_dir(os.path.dirname(other))
            self.settle(affected)
        elif op == 6 and exists:  # mmap write
            affected = self.group(name)
            fd = os.open(self.p(name), os.O_RDWR)
            size = os.fstat(fd).st_size
            if size < 8192:
                os.close(fd); return
            for n in affected: self.log(f"begin {n}")
            m = mmap.mmap(fd, size)
            off = r.randrange(0, size - 4096)
            m[off:off + 4096] = self.content(4096)
            m.flush(); m.close(); os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 7 and exists:  # xattr
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            key = f"user.k{r.randrange(4)}"
            if r.randrange(3) == 0:
                try: os.removexattr(self.p(name), key)
                except OSError: pass
            else:
                os.setxattr(self.p(name), key, os.urandom(r.choice([1, 100, 3000])))
            fd = os.open(self.p(name), os.O_RDONLY); os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 8 and exists:  # hard link
            other = r.choice(NAMES)
            if os.path.lexists(self.p(other)): return
            affected = self.group(name) + [other]
            for n in affected: self.log(f"begin {n}")
            os.link(self.p(name), self.p(other))
            self.fsync_dir(os.path.dirname(other))
            fd = os.open(self.p(name), os.O_RDONLY); os.fsync(fd); os.close(fd)
            self.settle(affected)
        elif op == 9 and exists:  # rename (possibly over another)
            other = r.choice(NAMES)
            if other == name: return
            affected = self.group(name) + self.group(other) + [other, name]
            for n in affected: self.log(f"begin {n}")
            os.rename(self.p(name), self.p(other))
            self.fsync_dir(d); self.fsync_dir(os.path.dirname(other))
            self.settle(affected)
        elif op == 10 and exists:  # unlink
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            os.unlink(self.p(name))
            self.fsync_dir(d)
            self.settle(affected)
        elif op == 11:  # burst of small files, each fsync'd, then one fsyncdir
            dd = r.choice(["d0", "d1", "d2"])
            names = [n for n in NAMES if os.path.dirname(n) == dd]
            touched = []
            for n in names:
                touched += self.group(n)
            for n in touched: self.log(f"begin {n}")
            for n in names:
                fd = os.open(self.p(n), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.write(fd, self.content(r.randrange(1, 9000))); os.fsync(fd); os.close(fd)
            self.fsync_dir(dd)
            self.settle(touched)
        elif op == 12:  # unsynced noise on a name never checked
            with open(os.path.join(self.mnt, "noise"), "wb") as f:
                f.write(os.urandom(r.randrange(1, 300000)))
        elif op == 13 and exists:  # extend by pwrite far away (sparse) + fdatasync
            affected = self.group(name)
            for n in affected: self.log(f"begin {n}")
            fd = os.open(self.p(name), os.O_WRONLY)
            os.pwrite(fd, self.content(5000), r.randrange(1 << 20, 64 << 20)); os.fdatasync(fd); os.close(fd)
            self.settle(affected)


def main():
    cmd, mnt, ledger = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "verify":
        sys.exit(1 if verify(mnt, ledger) else 0)
    if cmd == "snapshot":
        snapshot(mnt, ledger); return
    w = Writer(mnt, ledger, int(sys.argv[4]))
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 60
    for _ in range(steps):
        try:
            w.step()
        except OSError as e:
            # The daemon died under us (ENOTCONN/ECONNABORTED) -> stop; anything else is a finding.
            if e.errno in (107, 103):
                return
            print(f"writer seed {w.seed}: unexpected error {e!r}", file=sys.stderr)
            raise


if __name__ == "__main__":
    main()
