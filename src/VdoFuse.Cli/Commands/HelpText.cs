using VdoFuse.Core;

namespace VdoFuse.Cli.Commands;

/// <summary>Every --help text, in one place so that README and help say the same.</summary>
internal static class HelpText
{
    private static readonly string s_physical = SizeParser.Format(FormatOptions.DefaultPhysicalSizeBytes);
    private static readonly string s_index = SizeParser.Format(FormatOptions.DefaultIndexMemoryBytes);
    private static readonly string s_slab = SizeParser.Format((long)FormatOptions.DefaultSlabSizeBlocks * 4096);

    public static string TopLevel => $"""
        Usage: vdofuse COMMAND [ARGS]

        VdoFuse: a FUSE file system that stores files as deduplicated volumes of 4 KiB blocks, modelled on Linux VDO.

        Commands:
          format STORE        create a store (a directory): default {s_physical} physical, {s_index} index
          mount STORE DIR     mount a store on DIR (runs as a daemon unless -f)
          unmount DIR         unmount, and wait until the daemon has committed and exited
          estimate PATH...    predict the saving on existing files or devices (no store needed)
          stats STORE|DIR     space used and saved, vdostats style (--json, --verbose, --human, --files)
          check STORE         verify an unmounted store's reference counts and namespace (--repair)

        Options:
          -h, --help          show help (also: vdofuse COMMAND --help)
          --version           show the version
          -q, --quiet         (every command) no progress bar, nothing on stderr but errors
          -v, --verbose       (every command) more detail

        Configuration: --config FILE, else {Configuration.SettingsLoader.DefaultConfigFile} if present;
        VDOFUSE_SECTION__KEY environment variables; command-line options win. Each key has one spelling
        everywhere (commit_interval_ms in the file, VDOFUSE_STORE__COMMIT_INTERVAL_MS, -o commit_interval_ms=500);
        vdofuse.conf.example lists them all with their defaults.
        """;

    public const string Check = """
        Usage: vdofuse check STORE [--repair] [--quiet] [--verbose]

        Verifies an unmounted store offline: every reference count against the block maps, that every mapping
        lies in the data region and points at a block in use, every block-map and namespace page, the volume's
        counters, and that the namespace is a tree with correct link counts. Prints what it checked and each
        problem with its location. Exit status 0 only when the store is clean.

        Options:
          --repair   rebuild reference counts and link counts from the block maps and directories (VDO's
                     rebuild), reclaim orphans, finish an interrupted checkpoint, and say what changed
          --quiet    print only problems and repairs; no progress
          --verbose  list every problem (not only the first 200)
        A progress line is drawn on stderr when it is a terminal. A mounted store is refused: unmount it first.
        """;

    public static string Format => $"""
        Usage: vdofuse format STORE [--physical-size SIZE] [--index-memory SIZE] [--slab-size SIZE] [--sparse] [--force]
                              [--config FILE] [--quiet] [--verbose]

        Creates a store in directory STORE (created if missing). Refuses a directory that holds other files, and an
        existing store unless --force is given (which destroys it).

          --physical-size SIZE   size of STORE/data, all metadata and data blocks (default {s_physical})
          --index-memory SIZE    size of the memory-mapped dedupe index STORE/index (default {s_index})
          --slab-size SIZE       slab size, a power of two times 4 KiB (default {s_slab})
          --sparse               do not reserve the physical size on the backing file system
          --force                overwrite an existing store
          --config FILE          read settings from FILE (INI, section [Format]: physical_size, index_memory,
                                 slab_size, sparse, sparse_index)
          --quiet, -q            print nothing on success
          --verbose, -v          log what is done

        SIZE: 16G, 512M, 4096K, 1T or a number of bytes (binary units).
        """;

    public static string Mount => $"""
        Usage: vdofuse mount STORE MOUNTPOINT [-f] [--create] [-o OPTIONS] [--config FILE] [--quiet] [--verbose]

        Mounts the store in directory STORE on MOUNTPOINT. Without -f it returns once the mount is ready and the
        daemon runs detached (log: STORE/vdofuse.log). Mount never formats, except with --create, which formats a
        missing or empty STORE with the configured sizes (defaults {s_physical} physical, {s_index} index).

          -f, --foreground       stay in the foreground, log to stderr; Ctrl-C unmounts
          --create               format STORE first if it is missing or empty
          -o OPTIONS             comma-separated mount options: every configuration key as key=value
                                 (a true/false key alone means true), for example
               compress=on|off   LZ4-compress blocks that do not deduplicate (default on)
               dedupe=on|off     deduplicate identical 4 KiB blocks (default on)
               allow_other       let other users access the mount
               writeback_cache   kernel writeback cache
               hide_vdo_xattrs   do not list user.vdo.* xattrs on files (they stay readable by name)
               commit_interval_ms=N  most milliseconds a crash can lose (default 1000)
               ro, rw            read-only or not (read_only)
               debug             trace FUSE requests (with -f); sets log_level=Debug
             Format-time keys (physical_size, index_memory, slab_size, sparse_index) must equal the store's.
             fstab options (defaults, noauto, nofail, _netdev, user, users, x-systemd.*, ...) are ignored.
          --config FILE          read settings from FILE (INI, sections [Store], [Format], [Fuse], [Logging])
          --quiet, -q            log only errors
          --verbose, -v          log debug detail
        """;

    public static string Unmount => """
        Usage: vdofuse unmount MOUNTPOINT [--timeout SECONDS] [--quiet] [--verbose]

        Unmounts a VdoFuse mount (fusermount3 -u) and waits until its daemon has committed everything and exited,
        so that the store can be mounted, copied or checked right after.

          --timeout SECONDS      how long to wait for the daemon (default 60)
          --quiet, -q            say nothing while waiting
          --verbose, -v          say when it is unmounted and when the daemon has exited
        """;

    public static string Stats => """
        Usage: vdofuse stats STORE|MOUNTPOINT [--verbose] [--json] [--human] [--quiet]
               vdofuse stats --files MOUNTPOINT [--json] [--human] [--quiet]

        Space used and saved, like vdostats. On a mountpoint (or a mounted store) the live counters are read from
        the root's user.vdo.* xattrs; on an unmounted store, from its super block.

          --verbose, -v          every counter after the table, grouped (space, savings, mode, compression,
                                 journal, dedupe, index); savings split into zero blocks, dedupe and compression
          --json                 every counter as JSON, keyed by the user.vdo.* names
          --human                sizes in K, M, G, T instead of 1K-blocks
          --files                each file of the mount: logical size, unique physical bytes (what deleting it
                                 would free), shared blocks, saving%; largest unique first
          --quiet, -q            accepted like everywhere (stats prints only its result anyway)

        Space saving% = (logical blocks used - data blocks used) / logical blocks used; zero blocks are not
        counted as logical blocks used.
        """;

    public static string Estimate => """
        Usage: vdofuse estimate PATH... [--json] [--human] [--request-size SIZE] [--quiet] [--verbose]

        Predicts what VdoFuse would save on existing files, directories (walked) or block devices, without a
        store, like vdoestimator. Replays copying them in, file after file, in write requests of SIZE: zero
        blocks are never stored; a block whose content is stored already shares it (up to 254 references per
        stored block); the other blocks are compressed as the volume compresses them and each request's
        fragments packed as the volume packs them (best fit, at most 14 to a compressed block of 4060 payload
        bytes); a fragment alone in its request waits for partners in the packer across requests, and what
        is waiting at the end is packed as at unmount. The dedupe window is unbounded.

          --json                 the counts by name
          --human                sizes in K, M, G, T instead of blocks
          --request-size SIZE    bytes per write request (default 1M: FUSE's largest, which cp and dd bs=1M
                                 reach; smaller writes pack fewer fragments together)
          --quiet, -q            no progress bar (there is none anyway when stderr is not a terminal)
          --verbose, -v          name each file as it is read

        Space saving% = (logical blocks used - data blocks used) / logical blocks used, as in vdostats (zero
        blocks are not logical blocks used); "dedupe only" is the saving with mount -o compress=off.
        """;
}
