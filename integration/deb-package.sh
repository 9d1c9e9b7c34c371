#!/usr/bin/env bash
# The .deb end to end, as a user meets it: build it (packaging/build-deb.sh), install it with dpkg -i, format a
# store with the installed /usr/bin/vdofuse, mount it with `mount -t fuse.vdofuse`, unmount with umount, mount it
# again through an fstab line in a TEMPORARY fstab file (`mount -T FILE MOUNTPOINT`; /etc/fstab is never read or
# written), read stats with the installed vdofuse, unmount, then remove the package (dpkg -r, then -P for the
# conffile). Needs root, dpkg, /dev/fuse and fuse3. DEB=path.deb skips the build.
# Prints "deb-package: ok" last on success. Never leaves a mount, a daemon or the package behind.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "deb-package: $*"; }
fail() { echo "deb-package: FAIL: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "needs root (dpkg -i, mount)"
if dpkg-query -W -f='${Status}' vdofuse 2>/dev/null | grep -q 'installed'; then
    fail "a vdofuse package is already installed; this test will not replace or remove it"
fi

T=$(mktemp -d -t vdofuse-it-deb.XXXXXX)
STORE=$T/store
MNT=$T/mnt
installed=0
daemon_pid() { if [[ -f $STORE/store.lock ]]; then tr -dc '0-9' <"$STORE/store.lock" || true; fi; }
# Waits until the daemon that served the store has exited (umount returns before it has committed).
wait_daemon() {
    local pid
    pid=$(daemon_pid)
    [[ -n $pid ]] || return 0
    for _ in $(seq 1 600); do
        if [[ ! -d /proc/$pid ]] || ! grep -qs vdofuse "/proc/$pid/cmdline"; then return 0; fi
        sleep 0.1
    done
    fail "daemon $pid still running 60 s after umount"
}
cleanup() {
    local status=$?
    if grep -qs " $MNT " /proc/mounts; then umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; fi
    local pid
    pid=$(daemon_pid)
    if [[ -n $pid ]] && grep -qs "$STORE" "/proc/$pid/cmdline"; then
        for _ in $(seq 1 100); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
        [[ -d /proc/$pid ]] && kill -9 "$pid" 2>/dev/null || true
    fi
    if ((installed)); then dpkg -P vdofuse >/dev/null 2>&1 || true; fi
    rm -rf "$T"
    exit "$status"
}
trap cleanup EXIT

if [[ -z ${DEB:-} ]]; then
    say "building the package"
    DEB=$(OUT_DIR=$T/out "$ROOT/packaging/build-deb.sh" | tail -1)
fi
[[ -f $DEB ]] || fail "no package at $DEB"
# (Whole outputs into variables first: grep -q closing a pipe early would fail the pipeline under pipefail.)
info=$(dpkg-deb --info "$DEB")
grep -q 'Depends: fuse3' <<<"$info" || fail "the package does not depend on fuse3"
contents=$(dpkg-deb --contents "$DEB")
for path in ./usr/bin/vdofuse ./etc/vdofuse/vdofuse.conf ./lib/systemd/system/vdofuse@.service ./usr/share/man/man8/vdofuse.8.gz; do
    grep -q " $path\$" <<<"$contents" || fail "the package lacks $path"
done
[[ $(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles) == /etc/vdofuse/vdofuse.conf ]] || fail "conffiles is not /etc/vdofuse/vdofuse.conf"

say "dpkg -i $(basename "$DEB")"
dpkg -i "$DEB" >/dev/null
installed=1
[[ -x /usr/bin/vdofuse ]] || fail "/usr/bin/vdofuse not installed"
/usr/bin/vdofuse --version
man -w vdofuse >/dev/null 2>&1 || [[ -f /usr/share/man/man8/vdofuse.8.gz ]] || fail "man page vdofuse(8) not installed"

mkdir -p "$MNT"
/usr/bin/vdofuse format "$STORE" --physical-size 1G --index-memory 16M --sparse

say "mount -t fuse.vdofuse"
mount -t fuse.vdofuse "$STORE" "$MNT" -o compress=off,nofail,x-systemd.automount
grep -q " $MNT fuse.vdofuse " /proc/mounts || fail "no fuse.vdofuse mount on $MNT: $(grep " $MNT " /proc/mounts || true)"
head -c 4M /dev/urandom >"$T/random"
cp "$T/random" "$MNT/a"
cp "$T/random" "$MNT/b"
want=$(sha256sum <"$T/random" | cut -d' ' -f1)
umount "$MNT"
wait_daemon
grep -qs " $MNT " /proc/mounts && fail "$MNT still mounted after umount"

say "mount -T fstab $MNT"
printf '# temporary fstab of deb-package.sh\n%s %s fuse.vdofuse defaults,nofail,_netdev,dedupe=on 0 0\n' "$STORE" "$MNT" >"$T/fstab"
mount -T "$T/fstab" "$MNT"
grep -q " $MNT fuse.vdofuse " /proc/mounts || fail "the fstab line did not mount $MNT"
for f in a b; do
    [[ $(sha256sum <"$MNT/$f" | cut -d' ' -f1) == "$want" ]] || fail "$f differs after remounting"
done
/usr/bin/vdofuse stats "$MNT"
json=$(/usr/bin/vdofuse stats --json "$MNT")
grep -q '"logical_blocks_used": 2048' <<<"$json" || fail "logical_blocks_used is not 2048: $json"
grep -q '"data_blocks_used": 1024' <<<"$json" || fail "data_blocks_used is not 1024 (a and b share every block): $json"
grep -q '"saving_percent": 50' <<<"$json" || fail "saving_percent is not 50: $json"
[[ $(getfattr --absolute-names --only-values -n user.vdo.saving_percent "$MNT") == 50 ]] || fail "user.vdo.saving_percent disagrees with stats"
/usr/bin/vdofuse stats --files "$MNT"
umount "$MNT"
wait_daemon
offline=$(/usr/bin/vdofuse stats "$STORE")
echo "$offline"
grep -Eq ' 50%$' <<<"$offline" || fail "offline stats do not show 50% saving"

say "dpkg -r vdofuse"
dpkg -r vdofuse >/dev/null
[[ ! -e /usr/bin/vdofuse ]] || fail "/usr/bin/vdofuse left after dpkg -r"
[[ -f /etc/vdofuse/vdofuse.conf ]] || fail "dpkg -r removed the conffile (only purge should)"
dpkg -P vdofuse >/dev/null
[[ ! -e /etc/vdofuse/vdofuse.conf ]] || fail "/etc/vdofuse/vdofuse.conf left after dpkg -P"
installed=0
say ok
