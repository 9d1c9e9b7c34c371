#!/usr/bin/env bash
# Every unit and integration test (what CI runs). Integration tests mount real FUSE through the built vdofuse.
#   TEST_SERIAL=1 integration/test.sh     run the test projects one after another
#   TEST_FILTER=... integration/test.sh   pass a dotnet test --filter
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/integration/lib.sh"

install_missing_packages fuse3 libfuse3-3 libfuse3-dev attr e2fsprogs gcc qemu-utils rsync
require_dotnet
require_fuse_device || true   # the mount tests say why they fail (CI) or skip (elsewhere)

cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
LOG=$(mktemp -t vdofuse-test.XXXXXX.log)
# Every temporary folder of this run (test stores, mountpoints, images) lives under RUN_TMP, so that the check
# for leftovers below sees only this run's mounts and daemons, never those of another run on the same machine.
RUN_TMP=$(mktemp -d /tmp/vdofuse-run.XXXXXX)
chmod 0755 "$RUN_TMP"   # tests that act as an unprivileged user must reach their folders in it
trap 'rm -f "$LOG"; rm -rf --one-file-system "$RUN_TMP" 2>/dev/null || true' EXIT

echo "test.sh: building (Release, warnings are errors)"
dotnet build VdoFuse.sln -c Release -nologo -v quiet

args=(test VdoFuse.sln -c Release --no-build -nologo --blame-hang-timeout 8m)
[[ -n ${TEST_FILTER:-} ]] && args+=(--filter "$TEST_FILTER")
[[ -n ${TEST_SERIAL:-} ]] && args+=(-m:1)

status=0
# MSBuild nodes must not outlive the run: their pipes would be in RUN_TMP, which is removed at the end.
TMPDIR=$RUN_TMP MSBUILDDISABLENODEREUSE=1 timeout --kill-after=30s 24m dotnet "${args[@]}" 2>&1 | tee "$LOG" || status=$?

# No test may leave a mount or a daemon behind, pass or fail (only this run's, under RUN_TMP, are looked at).
leftover=$(awk -v run="$RUN_TMP/" '$3 ~ /^fuse(\.|$)/ && index($2, run) == 1' /proc/mounts || true)
if [[ -n $leftover ]]; then
    echo "test.sh: FUSE mounts left behind by the tests:"
    echo "$leftover"
    awk -v run="$RUN_TMP/" '$3 ~ /^fuse(\.|$)/ && index($2, run) == 1 {print $2}' /proc/mounts | while read -r mnt; do fusermount3 -uz "$mnt" || true; done
    status=1
fi
daemons=$(pgrep -f "vdofuse.* mount .*$RUN_TMP/" || true)
if [[ -n $daemons ]]; then
    echo "test.sh: vdofuse daemons left behind by the tests: $(echo $daemons)"
    kill -9 $daemons 2>/dev/null || true
    status=1
fi

# Per-assembly lines look like "Passed!  - Failed:     0, Passed:    62, Skipped:     0, Total:    62, ...".
read -r passed failed skipped < <(awk '
    /(Passed|Failed)! +- +Failed: / {
        for (i = 1; i <= NF; i++) {
            v = $(i + 1); gsub(/,/, "", v)
            if ($i == "Failed:") f += v; else if ($i == "Passed:") p += v; else if ($i == "Skipped:") s += v
        }
    }
    END { print p + 0, f + 0, s + 0 }' "$LOG")
if ((status == 0 && failed > 0)); then status=1; fi
if ((passed == 0 && failed == 0)); then
    echo "test.sh: no test ran"
    status=1
fi
echo "Summary: $passed passed, $failed failed, $skipped skipped"
exit "$status"
