#!/usr/bin/env bash
# Format a store, mount it, copy two VM images in, show the savings.
#
# Run as root on Debian. Works in ./.demo (DEMO_DIR=... to change); re-runnable: each run starts afresh.
# The store uses the defaults (16 GiB physical, reserved on disk, and a 256 MiB index);
# DEMO_FORMAT_ARGS="--physical-size 4G --sparse" makes it smaller.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/integration/lib.sh"

DEMO=${DEMO_DIR:-$ROOT/.demo}
STORE=$DEMO/store
MNT=$DEMO/mnt
WORK=$DEMO/images
TEMPLATE_MIB=${DEMO_TEMPLATE_MIB:-320}   # system files in the first image
ADDED_MIB=${DEMO_ADDED_MIB:-40}          # files only the second image has
IMAGE_SIZE=${DEMO_IMAGE_SIZE:-512M}

install_missing_packages fuse3 libfuse3-3 attr e2fsprogs
require_dotnet
require_fuse_device

echo "== building vdofuse (Release)"
DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet build "$ROOT/src/VdoFuse.Cli" -c Release -nologo -v quiet
VDOFUSE=(dotnet "$ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll")
vdofuse() { "${VDOFUSE[@]}" "$@"; }

# Never leave a mount or a daemon behind, whatever happens.
cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null || grep -q " $MNT " /proc/mounts; then
        vdofuse unmount "$MNT" || fusermount3 -uz "$MNT" || true
    fi
    if [[ -f $STORE/store.lock ]]; then
        local pid
        pid=$(tr -dc '0-9' <"$STORE/store.lock" || true)
        if [[ -n $pid ]] && grep -qs vdofuse "/proc/$pid/cmdline"; then
            kill "$pid" 2>/dev/null || true
        fi
    fi
}
trap cleanup EXIT
cleanup
rm -rf "$STORE" "$WORK"
mkdir -p "$MNT" "$WORK"

echo "== building two VM disk images from system files (ext4, mke2fs -d)"
# Regular files under /usr, smaller than 16 MiB, documentation and libraries first: the template takes the first
# TEMPLATE_MIB, the second VM additionally gets the next ADDED_MIB.
find /usr/share/doc /usr/share/man /usr/lib/x86_64-linux-gnu /usr/share /usr/lib /usr/bin \
    -xdev -type f -size -16M -readable -printf '%s\t%p\n' 2>/dev/null | awk -F'\t' '!seen[$2]++' >"$WORK/all.tsv"
awk -F'\t' -v t=$((TEMPLATE_MIB << 20)) -v a=$((ADDED_MIB << 20)) -v w="$WORK" '
    s < t      { print $2 > (w "/template.list"); s += $1; next }
    s < t + a  { print $2 > (w "/added.list"); s += $1 }' "$WORK/all.tsv"
mkdir -p "$WORK/vm1" "$WORK/vm2"
tr '\n' '\0' <"$WORK/template.list" | xargs -0 cp --parents -t "$WORK/vm1" 2>/dev/null || true
mkdir -p "$WORK/vm1/etc" && echo vm-template >"$WORK/vm1/etc/hostname"
cp -a "$WORK/vm1/." "$WORK/vm2/"
# Drift: updated packages (changed files), new software (added files), removed files, local config.
tr '\n' '\0' <"$WORK/added.list" | xargs -0 cp --parents -t "$WORK/vm2" 2>/dev/null || true
awk 'NR % 10 == 0' "$WORK/template.list" | while read -r f; do
    [[ -f $WORK/vm2$f ]] && printf '\n# changed on vm2: %s\n' "$f" >>"$WORK/vm2$f"
done
awk 'NR % 10 == 5' "$WORK/template.list" | while read -r f; do rm -f "$WORK/vm2$f"; done
echo vm-two >"$WORK/vm2/etc/hostname"
mke2fs -q -F -t ext4 -b 4096 -d "$WORK/vm1" "$WORK/vm1.img" "$IMAGE_SIZE"
mke2fs -q -F -t ext4 -b 4096 -d "$WORK/vm2" "$WORK/vm2.img" "$IMAGE_SIZE"
rm -rf "$WORK/vm1" "$WORK/vm2"
echo "   vm1.img: $(du -h --apparent-size "$WORK/vm1.img" | cut -f1) ($(wc -l <"$WORK/template.list") files); vm2.img: same template plus $(wc -l <"$WORK/added.list") added, changed and removed files"

echo "== vdofuse format $STORE ${DEMO_FORMAT_ARGS:-}"
# shellcheck disable=SC2086
vdofuse format "$STORE" ${DEMO_FORMAT_ARGS:-}
echo "== vdofuse mount $STORE $MNT"
vdofuse mount "$STORE" "$MNT"

now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f MB/s (%.0f MiB in %.2f s)", b / s / 1e6, b / 1048576, s }'; }
bytes=$(($(stat -c %s "$WORK/vm1.img") + $(stat -c %s "$WORK/vm2.img")))

echo "== copying both images in"
start=$(now)
cp "$WORK/vm1.img" "$WORK/vm2.img" "$MNT/"
copy_seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
echo "   copy in:   $(rate "$bytes" "$copy_seconds")"

sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
start=$(now)
cat "$MNT/vm1.img" "$MNT/vm2.img" >/dev/null
read_seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
echo "   read back: $(rate "$bytes" "$read_seconds")"

echo "== savings of the volume: getfattr -d -m user.vdo $MNT"
getfattr --absolute-names -d -m user.vdo "$MNT"
echo "== savings of one file: getfattr -d -m user.vdo $MNT/vm2.img"
getfattr --absolute-names -d -m user.vdo "$MNT/vm2.img"
echo "== vdofuse stats $MNT"
vdofuse stats "$MNT"

echo "== verifying the copies (sha256)"
for image in vm1.img vm2.img; do
    want=$(sha256sum <"$WORK/$image" | cut -d' ' -f1)
    got=$(sha256sum <"$MNT/$image" | cut -d' ' -f1)
    if [[ $want != "$got" ]]; then
        echo "demo: $image differs after copying it in ($want vs $got)" >&2
        exit 1
    fi
    echo "   $image: $got OK"
done

echo "== vdofuse unmount $MNT"
vdofuse unmount "$MNT"
echo "== offline: vdofuse stats $STORE"
vdofuse stats "$STORE"
echo "demo: done (store kept in $STORE; images in $WORK)"
