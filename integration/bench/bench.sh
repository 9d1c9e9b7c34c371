#!/usr/bin/env bash
# VdoFuse measured against the disk under it (issue 5). In one run, the same workloads on three targets:
#   backing  the backing directory itself: the physical limit
#   plain    a fresh VdoFuse store mounted with -o dedupe=off,compress=off
#   vdo      a fresh VdoFuse store mounted with the defaults (dedupe and compression on)
# Workloads, in this order on each target:
#   seq write     dd of unique (random) data into a new file, fsync at the end (conv=fsync)
#   dup write     the same data again into a second new file: all duplicates
#   seq read      the first file after sync and echo 3 > /proc/sys/vm/drop_caches
#   cold dup      256 MiB of the same data into a third file after dropping the caches: VdoFuse must read every
#                 block it deduplicates against from the disk to compare it
#   vm copy       cp of the two demo VM images (integration/demo.sh's recipe), then fsync of both copies
#   rand w/r      fio 4 KiB random writes, then random reads (caches dropped), 2 and 8 jobs, one file per job,
#                 laid out first with unique data; buffered I/O, writes end with an fsync
#   scaling       1 vs 2 writer jobs, median of 5 runs: duplicates (dd of slices of the first file's data into
#                 new files; the first file is read first, so that the blocks compared are in the page cache in
#                 every run) and mixed data (fio: 75% compressible per 4 KiB, 30% repeated buffers, new each run)
#   memory        (defaults only) 20 GiB of that mixed data with 2 jobs, the load issue 5 bounds the daemon's
#                 memory under; the daemon's VmHWM is read after everything
# Prints one table of MB/s, IOPS and the ratio to the backing directory, each daemon's peak resident memory
# (VmHWM) against the bound issue 5 sets, and the issue's targets. The report never fails on speed.
#
#   integration/bench/bench.sh          full sizes (2 GiB sequential; roughly half an hour on a small VM)
#   integration/bench/bench.sh --quick  small sizes, for CI: it checks that the bench runs, never how fast
#
# Environment: BENCH_DIR  a directory on the disk to measure (default /var/tmp); the run works in a new
#                         subdirectory and removes it at the end
#              BENCH_TARGETS  which targets, in order (default "backing plain vdo")
#              BENCH_REPORT   also write the report to this file
#              BENCH_MEMORY_GIB  size of the memory workload (default 20, 0 skips it; --quick: 0)
#              BENCH_KEEP=1   keep the work directory
# Runs as root: it mounts FUSE and drops the page cache (which slows everything else on the machine briefly).
set -euo pipefail
shopt -s inherit_errexit
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/integration/lib.sh"
source "$ROOT/integration/bench/vm-images.sh"

QUICK=0
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument '$arg' (the only option is --quick)" >&2; exit 2 ;;
    esac
done

if ((QUICK)); then
    SEQ_MIB=64 COLD_MIB=16 RAND_MIB=64 RAND_SECONDS=5 SCALE_MIB=64 SCALE_RUNS=1
    IMAGE_TEMPLATE_MIB=24 IMAGE_ADDED_MIB=4 IMAGE_SIZE=64M
    FORMAT_ARGS=(--physical-size 2G)
    MEMORY_GIB=${BENCH_MEMORY_GIB:-0}
else
    # RAND_MIB is per job count: 2 jobs x 512 MiB, 8 jobs x 128 MiB. FORMAT_ARGS empty: the format defaults.
    SEQ_MIB=2048 COLD_MIB=256 RAND_MIB=1024 RAND_SECONDS=30 SCALE_MIB=1024 SCALE_RUNS=5
    IMAGE_TEMPLATE_MIB=320 IMAGE_ADDED_MIB=40 IMAGE_SIZE=512M
    FORMAT_ARGS=()
    MEMORY_GIB=${BENCH_MEMORY_GIB:-20}
fi
read -r -a TARGETS <<<"${BENCH_TARGETS:-backing plain vdo}"
for target in "${TARGETS[@]}"; do
    case $target in backing | plain | vdo) ;; *) echo "bench.sh: unknown target '$target' in BENCH_TARGETS" >&2; exit 2 ;; esac
done
# The bound issue 5 sets for the daemon: 256 MiB plus the index and block-map cache sizes plus 1 byte per
# physical block. The block-map cache is the configuration default (no --config is passed).
BLOCK_MAP_CACHE_BYTES=$((128 << 20))

if [[ $EUID -ne 0 ]]; then
    echo "bench.sh: run as root (it mounts FUSE and writes /proc/sys/vm/drop_caches)" >&2
    exit 1
fi
install_missing_packages fuse3 libfuse3-3 attr e2fsprogs fio
require_dotnet
require_fuse_device

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "bench: building vdofuse (Release)"
dotnet build "$ROOT/src/VdoFuse.Cli" -c Release -nologo -v quiet
VDOFUSE=(dotnet "$ROOT/src/VdoFuse.Cli/bin/Release/net10.0/vdofuse.dll")
vdofuse() { "${VDOFUSE[@]}" "$@"; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/vdofuse-bench.XXXXXX")
SRC=$WORK/source.dat
IMAGES=$WORK/images
MNT=""       # the mountpoint of the store being measured, while it may be mounted
STORE=""     # that store
DAEMON=""    # its daemon's pid

# Never leave a mount or a daemon behind, whatever happens; only this run's mount and daemon are touched.
cleanup() {
    if [[ -n $MNT ]] && grep -qs " $MNT " /proc/mounts; then
        vdofuse unmount "$MNT" >/dev/null 2>&1 || fusermount3 -uz "$MNT" || true
    fi
    if [[ -n $DAEMON ]] && kill -0 "$DAEMON" 2>/dev/null && grep -qs vdofuse "/proc/$DAEMON/cmdline"; then
        kill "$DAEMON" 2>/dev/null || true
    fi
    if [[ -z ${BENCH_KEEP:-} ]]; then
        rm -rf "$WORK"
    else
        echo "bench: kept $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
drop_caches() {
    sync
    echo 3 >/proc/sys/vm/drop_caches
}
# Reads files into the page cache, so that a write's source costs no disk time.
warm() { cat "$@" >/dev/null; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A MBS=() IOPS=() NOTE=() CPU=()

# The daemon's CPU time (user + system) in clock ticks, 0 without a daemon.
daemon_ticks() {
    if [[ -n $DAEMON ]]; then awk '{ print $14 + $15 }' "/proc/$DAEMON/stat"; else echo 0; fi
}
# begin / end WORKLOAD TARGET: how many cores the daemon kept busy during the workload (CPU time / wall time).
begin() { BEGAN_AT=$(now) BEGAN_TICKS=$(daemon_ticks); }
end() {
    [[ -n $DAEMON ]] || return 0
    CPU[$2|$1]=$(awk -v t="$(($(daemon_ticks) - BEGAN_TICKS))" -v hz="$(getconf CLK_TCK)" -v s="$(seconds_since "$BEGAN_AT")" \
        'BEGIN { printf "%.2f", t / hz / s }')
}

# fio_run DIRECTION FIO-ARGS...: runs one fio job group; sets FIO_MBS and FIO_IOPS for "read" or "write".
# Terse v3 fields: 7 read KiB/s, 8 read IOPS; 48 write KiB/s, 49 write IOPS.
fio_run() {
    local direction=$1 line bw iops
    shift
    line=$(fio --output-format=terse --terse-version=3 --group_reporting --ioengine=psync "$@" | tail -n 1)
    if [[ $direction == read ]]; then bw=7 iops=8; else bw=48 iops=49; fi
    FIO_MBS=$(awk -F';' -v f="$bw" '{ printf "%.1f", $f * 1024 / 1e6 }' <<<"$line")
    FIO_IOPS=$(awk -F';' -v f="$iops" '{ printf "%.0f", $f }' <<<"$line")
}

# dd_rate TARGET WORKLOAD BYTES DD-ARGS...: times one dd and records MB/s.
dd_rate() {
    local target=$1 workload=$2 bytes=$3 start
    shift 3
    start=$(now)
    dd status=none "$@"
    MBS[$target|$workload]=$(mbs "$bytes" "$(seconds_since "$start")")
}

# The duplicate writers of one scaling run: JOBS dd processes, each writing its slice of the first file's data
# into a new file with fsync. Prints MB/s over the wall time of all of them.
scale_duplicates() {
    local dir=$1 jobs=$2 run=$3 part=$((SCALE_MIB / $2)) k start pids=()
    warm "$SRC"
    # The same cache state in every run: the blocks to compare with are cached (a cold cache costs VdoFuse one
    # synchronous disk read per block, measured by the cold dup workload).
    dd status=none if="$dir/unique.dat" of=/dev/null bs=1M count="$SCALE_MIB"
    start=$(now)
    for ((k = 0; k < jobs; k++)); do
        dd status=none if="$SRC" of="$dir/scale-dup-$run-$k" bs=1M skip=$((k * part)) count="$part" conv=fsync &
        pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k"; done
    mbs $((SCALE_MIB << 20)) "$(seconds_since "$start")"
    rm -f "$dir"/scale-dup-*
}

# Mixed data, new in every run (randrepeat=0): fio's own aggregate bandwidth, fsync included.
scale_mixed() {
    local dir=$1 jobs=$2 run=$3
    fio_run write --name="scale-mixed-$run" --directory="$dir" --rw=write --bs=1M --numjobs="$jobs" \
        --size=$((SCALE_MIB / jobs))M --refill_buffers --randrepeat=0 --buffer_compress_percentage=75 \
        --buffer_compress_chunk=4096 --dedupe_percentage=30 --end_fsync=1
    echo "$FIO_MBS"
    rm -f "$dir"/scale-mixed-*
}

# run_workloads TARGET DIR: every workload on one target, results into MBS and IOPS.
run_workloads() {
    local target=$1 dir=$2 jobs run workload bytes start values
    local seq_bytes=$((SEQ_MIB << 20))

    echo "bench: [$target] sequential write of $SEQ_MIB MiB of unique data, fsync"
    warm "$SRC"
    begin
    dd_rate "$target" seq_write "$seq_bytes" if="$SRC" of="$dir/unique.dat" bs=1M conv=fsync
    end seq_write "$target"
    echo "bench: [$target] the same data into a new file (duplicates), fsync"
    warm "$SRC"
    begin
    dd_rate "$target" dup_write "$seq_bytes" if="$SRC" of="$dir/duplicate.dat" bs=1M conv=fsync
    end dup_write "$target"
    echo "bench: [$target] sequential read, caches dropped"
    drop_caches
    begin
    dd_rate "$target" seq_read "$seq_bytes" if="$dir/unique.dat" of=/dev/null bs=1M
    end seq_read "$target"
    echo "bench: [$target] $COLD_MIB MiB of the same data into a third file, caches dropped, fsync"
    drop_caches
    warm "$SRC"
    begin
    dd_rate "$target" dup_cold $((COLD_MIB << 20)) if="$SRC" of="$dir/duplicate-cold.dat" bs=1M count="$COLD_MIB" conv=fsync
    end dup_cold "$target"

    echo "bench: [$target] copy of the demo VM images, fsync"
    warm "$IMAGES/vm1.img" "$IMAGES/vm2.img"
    bytes=$(($(stat -c %s "$IMAGES/vm1.img") + $(stat -c %s "$IMAGES/vm2.img")))
    begin
    start=$(now)
    cp "$IMAGES/vm1.img" "$IMAGES/vm2.img" "$dir/"
    sync "$dir/vm1.img" "$dir/vm2.img"
    MBS[$target|vm_copy]=$(mbs "$bytes" "$(seconds_since "$start")")
    end vm_copy "$target"

    for jobs in 2 8; do
        local common=(--name="rand$jobs" --directory="$dir" --numjobs="$jobs" --size=$((RAND_MIB / jobs))M)
        echo "bench: [$target] 4 KiB random writes and reads, $jobs jobs of $((RAND_MIB / jobs)) MiB"
        # Lay the files out with unique data first (unmeasured), so that reads find every block stored.
        fio_run write "${common[@]}" --rw=write --bs=1M --refill_buffers --randrepeat=0 --end_fsync=1
        begin
        fio_run write "${common[@]}" --rw=randwrite --bs=4k --refill_buffers --randrepeat=0 --end_fsync=1 --runtime="$RAND_SECONDS"
        end "randwrite$jobs" "$target"
        MBS[$target|randwrite$jobs]=$FIO_MBS IOPS[$target|randwrite$jobs]=$FIO_IOPS
        drop_caches
        begin
        fio_run read "${common[@]}" --rw=randread --bs=4k --randrepeat=0 --runtime="$RAND_SECONDS"
        end "randread$jobs" "$target"
        MBS[$target|randread$jobs]=$FIO_MBS IOPS[$target|randread$jobs]=$FIO_IOPS
        rm -f "$dir"/rand"$jobs".*
    done

    for workload in duplicates mixed; do
        for jobs in 1 2; do
            echo "bench: [$target] scaling, $workload, $jobs writer job(s), $SCALE_RUNS run(s) of $SCALE_MIB MiB"
            values=()
            begin
            for ((run = 1; run <= SCALE_RUNS; run++)); do
                values+=("$(scale_"$workload" "$dir" "$jobs" "$run")")
            done
            end "scale_${workload}_$jobs" "$target"
            MBS[$target|scale_${workload}_$jobs]=$(median "${values[@]}")
            NOTE[$target|scale_${workload}_$jobs]="runs: ${values[*]}"
        done
    done
}

# measure_store TARGET MOUNT-OPTIONS: formats and mounts a fresh store, runs the workloads, records the daemon's
# peak resident memory and the savings, unmounts and removes the store.
measure_store() {
    local target=$1 options=$2 hwm physical index bound
    STORE=$WORK/$target/store MNT=$WORK/$target/mnt
    mkdir -p "$MNT"
    echo "bench: [$target] vdofuse format ${FORMAT_ARGS[*]} ; mount ${options:+-o $options}"
    vdofuse format "$STORE" "${FORMAT_ARGS[@]}" >/dev/null
    vdofuse mount "$STORE" "$MNT" ${options:+-o "$options"}
    DAEMON=$(tr -dc '0-9' <"$STORE/store.lock")
    run_workloads "$target" "$MNT"
    if [[ $target == vdo ]] && ((MEMORY_GIB > 0)); then
        echo "bench: [$target] memory: $MEMORY_GIB GiB of mixed data, 2 writer jobs"
        begin
        fio_run write --name=memory --directory="$MNT" --rw=write --bs=1M --numjobs=2 --size=$((MEMORY_GIB << 9))M \
            --refill_buffers --randrepeat=0 --buffer_compress_percentage=75 --buffer_compress_chunk=4096 \
            --dedupe_percentage=30 --end_fsync=1
        end memory "$target"
        MBS[$target|memory]=$FIO_MBS
    fi
    hwm=$(awk '/^VmHWM:/ { print $2 * 1024 }' "/proc/$DAEMON/status")
    physical=$(getfattr --absolute-names --only-values -n user.vdo.physical_blocks "$MNT")
    index=$(stat -c %s "$STORE/index")
    bound=$(((256 << 20) + index + BLOCK_MAP_CACHE_BYTES + physical))
    MEMORY[$target]="$((hwm >> 20)) MiB peak (VmHWM); bound $((bound >> 20)) MiB = 256 MiB + index $((index >> 20)) MiB + block-map cache $((BLOCK_MAP_CACHE_BYTES >> 20)) MiB + $physical physical blocks x 1 B"
    MEMORY_OK[$target]=$((hwm <= bound))
    SAVINGS[$target]="saving $(getfattr --absolute-names --only-values -n user.vdo.saving_percent "$MNT")%, $(getfattr --absolute-names --only-values -n user.vdo.data_blocks_used "$MNT") data blocks for $(getfattr --absolute-names --only-values -n user.vdo.logical_blocks_used "$MNT") logical"
    vdofuse unmount "$MNT"
    MNT="" DAEMON=""
    rm -rf "${WORK:?}/$target"
}
declare -A MEMORY=() MEMORY_OK=() SAVINGS=()

echo "bench: work directory $WORK ($(df -h --output=source,fstype "$WORK" | tail -n 1 | tr -s ' '))"
echo "bench: source data: $SEQ_MIB MiB from /dev/urandom; demo VM images: $IMAGE_TEMPLATE_MIB MiB template, $IMAGE_SIZE each"
dd status=none if=/dev/urandom of="$SRC" bs=1M count="$SEQ_MIB" iflag=fullblock
make_vm_images "$IMAGES" "$IMAGE_TEMPLATE_MIB" "$IMAGE_ADDED_MIB" "$IMAGE_SIZE"
STARTED=$(now)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

for target in "${TARGETS[@]}"; do
    case $target in
        backing)
            mkdir -p "$WORK/backing"
            run_workloads backing "$WORK/backing"
            rm -rf "${WORK:?}/backing"
            ;;
        plain) measure_store plain dedupe=off,compress=off ;;
        vdo) measure_store vdo "" ;;
    esac
done

# ---- the report ------------------------------------------------------------------------------------------------
ratio() { # ratio A B: A / B to two decimals, or - when either is missing
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
WORKLOADS=(seq_write dup_write seq_read dup_cold vm_copy randwrite2 randwrite8 randread2 randread8
    scale_duplicates_1 scale_duplicates_2 scale_mixed_1 scale_mixed_2 memory)
declare -A LABEL=(
    [seq_write]="seq write ${SEQ_MIB} MiB unique, fsync"
    [dup_write]="same data again, new file (dups)"
    [seq_read]="seq read ${SEQ_MIB} MiB, caches dropped"
    [dup_cold]="dup write ${COLD_MIB} MiB, caches dropped"
    [vm_copy]="copy demo VM images, fsync"
    [randwrite2]="4 KiB random write, 2 jobs"
    [randwrite8]="4 KiB random write, 8 jobs"
    [randread2]="4 KiB random read, 2 jobs"
    [randread8]="4 KiB random read, 8 jobs"
    [scale_duplicates_1]="dup write, 1 job (median of $SCALE_RUNS)"
    [scale_duplicates_2]="dup write, 2 jobs (median of $SCALE_RUNS)"
    [scale_mixed_1]="mixed write, 1 job (median of $SCALE_RUNS)"
    [scale_mixed_2]="mixed write, 2 jobs (median of $SCALE_RUNS)"
    [memory]="mixed write ${MEMORY_GIB} GiB, 2 jobs (memory)"
)
declare -A TITLE=([backing]="backing dir" [plain]="vdofuse plain" [vdo]="vdofuse defaults")

report() {
    local target workload row
    echo "VdoFuse bench ($([[ $QUICK == 1 ]] && echo quick || echo full)), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, backing $(df --output=fstype "$WORK" | tail -n 1 | tr -d ' ') on $(df --output=source "$WORK" | tail -n 1), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every number)"
    echo "plain = mount -o dedupe=off,compress=off; MB/s = 10^6 bytes/s; IOPS for 4 KiB random I/O;"
    echo "x = MB/s over the backing directory's (the ratio rows divide within one column)"
    echo
    row="%-40s"
    printf "$row" "workload"
    for target in "${TARGETS[@]}"; do printf " | %-26s" "${TITLE[$target]}"; done
    echo
    printf "$row" ""
    for target in "${TARGETS[@]}"; do printf " | %9s %8s %7s" "MB/s" "IOPS" "x"; done
    echo
    for workload in "${WORKLOADS[@]}"; do
        printf "$row" "${LABEL[$workload]}"
        for target in "${TARGETS[@]}"; do
            printf " | %9s %8s %7s" "${MBS[$target|$workload]:--}" "${IOPS[$target|$workload]:--}" \
                "$(ratio "${MBS[$target|$workload]:-}" "${MBS[backing|$workload]:-}")"
        done
        echo
    done
    for pair in "dup write / seq write:dup_write:seq_write" "dup scaling, 2 jobs / 1:scale_duplicates_2:scale_duplicates_1" \
        "mixed scaling, 2 jobs / 1:scale_mixed_2:scale_mixed_1"; do
        IFS=: read -r label over under <<<"$pair"
        printf "$row" "$label"
        for target in "${TARGETS[@]}"; do
            printf " | %9s %8s %7s" "" "" "$(ratio "${MBS[$target|$over]:-}" "${MBS[$target|$under]:-}")"
        done
        echo
    done
    echo
    echo "daemon CPU: cores kept busy during each workload (CPU time / wall time; the machine has $(nproc)):"
    for workload in "${WORKLOADS[@]}"; do
        row=""
        for target in plain vdo; do
            if [[ -n ${CPU[$target|$workload]:-} ]]; then row+="  ${TITLE[$target]} ${CPU[$target|$workload]}"; fi
        done
        if [[ -n $row ]]; then printf "  %-40s%s\n" "${LABEL[$workload]}" "$row"; fi
    done
    echo
    for target in "${TARGETS[@]}"; do
        if [[ -n ${MEMORY[$target]:-} ]]; then echo "${TITLE[$target]}: daemon ${MEMORY[$target]}; ${SAVINGS[$target]}"; fi
    done
    echo "scaling runs (MB/s):"
    for target in "${TARGETS[@]}"; do
        for workload in scale_duplicates_1 scale_duplicates_2 scale_mixed_1 scale_mixed_2; do
            echo "  ${TITLE[$target]}, ${LABEL[$workload]%% (*}: ${NOTE[$target|$workload]:-}"
        done
    done
    echo
    echo "issue 5 targets (vdofuse defaults unless said; informational, never a failure):"
    check() { # check LABEL VALUE MINIMUM
        local verdict
        verdict=$(awk -v v="$2" -v m="$3" 'BEGIN { if (v == "-" || v == "") print "n/a"; else print (v + 0 >= m ? "met" : "MISSED") }')
        printf "  %-62s %6s (>= %s) %s\n" "$1" "$2" "$3" "$verdict"
    }
    check "unique seq write / backing" "$(ratio "${MBS[vdo|seq_write]:-}" "${MBS[backing|seq_write]:-}")" 0.5
    check "all-duplicate write / unique write" "$(ratio "${MBS[vdo|dup_write]:-}" "${MBS[vdo|seq_write]:-}")" 1.5
    check "seq read / backing" "$(ratio "${MBS[vdo|seq_read]:-}" "${MBS[backing|seq_read]:-}")" 0.6
    check "2 writer jobs / 1, duplicates (backing: $(ratio "${MBS[backing|scale_duplicates_2]:-}" "${MBS[backing|scale_duplicates_1]:-}"))" \
        "$(ratio "${MBS[vdo|scale_duplicates_2]:-}" "${MBS[vdo|scale_duplicates_1]:-}")" 1.6
    check "2 writer jobs / 1, mixed (backing: $(ratio "${MBS[backing|scale_mixed_2]:-}" "${MBS[backing|scale_mixed_1]:-}"))" \
        "$(ratio "${MBS[vdo|scale_mixed_2]:-}" "${MBS[vdo|scale_mixed_1]:-}")" 1.6
    for target in plain vdo; do
        if [[ -n ${MEMORY_OK[$target]:-} ]]; then
            printf "  %-62s %s\n" "daemon memory within bound (${TITLE[$target]})" "$([[ ${MEMORY_OK[$target]} == 1 ]] && echo met || echo MISSED)"
        fi
    done
    if ((MEMORY_GIB < 20)); then
        echo "  (the bound is for writing 20 GiB of mixed data; this run wrote $MEMORY_GIB GiB in the memory workload)"
    fi
    echo "bench took $(awk -v s="$(seconds_since "$STARTED")" 'BEGIN { printf "%.0f", s }') s after the source data"
}

echo
if [[ -n ${BENCH_REPORT:-} ]]; then
    report | tee "$BENCH_REPORT"
else
    report
fi
