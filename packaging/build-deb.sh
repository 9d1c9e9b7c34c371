#!/usr/bin/env bash
# Builds vdofuse_VERSION_amd64.deb: a self-contained single-file vdofuse for linux-x64 (no .NET needed on the
# target), its man page, a systemd unit template and the example configuration as /etc/vdofuse/vdofuse.conf.
#   packaging/build-deb.sh              -> packaging/out/vdofuse_VERSION_amd64.deb (path printed last)
#   OUT_DIR=/tmp/x packaging/build-deb.sh
# `mount -t fuse.vdofuse STORE MOUNTPOINT` and fstab lines work through fuse3's mount.fuse3, which runs
# `vdofuse STORE MOUNTPOINT -o OPTIONS` (found in PATH): the CLI accepts that form and never formats in it, so no
# /sbin/mount.fuse.vdofuse is shipped.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT_DIR:-$ROOT/packaging/out}
VERSION=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/src/VdoFuse.Cli/VdoFuse.Cli.csproj")
ARCH=amd64
DEB=$OUT/vdofuse_${VERSION}_${ARCH}.deb
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }
rm -rf "$OUT/publish" "$OUT/stage" "$DEB"
mkdir -p "$OUT"

echo "build-deb.sh: dotnet publish (linux-x64, self-contained, single file)" >&2
# The native libfuse3 is not bundled: the binding loads it by name (libfuse3.so.3) from the system at run time,
# which is what the package's dependency on fuse3 (and so libfuse3-3) provides.
dotnet publish "$ROOT/src/VdoFuse.Cli" -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -o "$OUT/publish" -nologo -v quiet >&2
# Referenced projects already built with symbols can leave their .pdb beside the binary; the package ships none.
find "$OUT/publish" -maxdepth 1 -name '*.pdb' -delete
BIN=$OUT/publish/vdofuse
[[ -x $BIN ]] || { echo "build-deb.sh: publish produced no $BIN" >&2; exit 1; }
extra=$(find "$OUT/publish" -maxdepth 1 -type f ! -name vdofuse | head -5)
[[ -z $extra ]] || { echo "build-deb.sh: single-file publish left other files: $extra" >&2; exit 1; }
got=$("$BIN" --version)
[[ $got == "vdofuse $VERSION" ]] || { echo "build-deb.sh: $BIN --version says '$got', expected 'vdofuse $VERSION'" >&2; exit 1; }

STAGE=$OUT/stage
install -D -m 0755 "$BIN" "$STAGE/usr/bin/vdofuse"
install -D -m 0644 "$ROOT/vdofuse.conf.example" "$STAGE/etc/vdofuse/vdofuse.conf"
install -D -m 0644 "$ROOT/packaging/vdofuse@.service" "$STAGE/lib/systemd/system/vdofuse@.service"
install -D -m 0644 "$ROOT/packaging/vdofuse.8" "$STAGE/usr/share/man/man8/vdofuse.8"
gzip -9n "$STAGE/usr/share/man/man8/vdofuse.8"
install -D -m 0644 "$ROOT/vdofuse.conf.example" "$STAGE/usr/share/doc/vdofuse/examples/vdofuse.conf.example"
install -d -m 0755 "$STAGE/DEBIAN"
echo /etc/vdofuse/vdofuse.conf >"$STAGE/DEBIAN/conffiles"
size_kib=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: vdofuse
Version: $VERSION
Architecture: $ARCH
Maintainer: VdoFuse developers <vdofuse@localhost>
Installed-Size: $size_kib
Depends: fuse3
Section: admin
Priority: optional
Homepage: https://example.invalid/vdofuse
Description: deduplicating FUSE file system modelled on Linux VDO
 VdoFuse stores every file as a thin volume of 4 KiB blocks, deduplicated and
 compressed the way Linux VDO does it. Savings are shown as user.vdo.* xattrs
 and by "vdofuse stats"; "vdofuse estimate" predicts them for existing data.
 Mount with "mount -t fuse.vdofuse STORE MOUNTPOINT" or an fstab line.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >&2
rm -rf "$STAGE"
echo "$DEB"
