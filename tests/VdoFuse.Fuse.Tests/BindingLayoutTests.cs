using System.Globalization;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse.Tests;

/// <summary>
/// Compiles a C probe against the installed libfuse3 headers that prints the size and field offsets of every
/// struct the binding mirrors, the bit of every fuse_file_info bitfield, and every constant the adapter uses,
/// and compares each number with the C# side.
/// </summary>
public sealed unsafe class BindingLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> s_probe = new(RunProbe);

    private static readonly string[] s_operationNames =
    [
        "init", "destroy", "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir",
        "symlink", "rename", "link", "open", "read", "write", "flush", "release", "fsync", "opendir", "readdir",
        "releasedir", "fsyncdir", "statfs", "setxattr", "getxattr", "listxattr", "removexattr", "access", "create",
        "getlk", "setlk", "bmap", "ioctl", "poll", "write_buf", "retrieve_reply", "forget_multi", "flock", "fallocate",
        "readdirplus", "copy_file_range", "lseek",
    ];

    private static readonly string[] s_bitfieldNames =
        ["writepage", "direct_io", "keep_cache", "flush", "nonseekable", "flock_release", "cache_readdir", "noflush"];

    [CompilerFact]
    public void StructSizesMatchTheCHeaders() => AssertAllMatch(ExpectedSizes());

    [CompilerFact]
    public void FieldOffsetsMatchTheCHeaders() => AssertAllMatch(ExpectedOffsets());

    [CompilerFact]
    public void LowLevelOperationTableHasEveryCallbackAtItsCOffset() => AssertAllMatch(ExpectedOperationOffsets());

    [CompilerFact]
    public void FileInfoBitfieldsSitAtTheBitsGccAllocates() => AssertAllMatch(ExpectedBitfieldBits());

    [CompilerFact]
    public void ConstantsMatchTheCHeaders() => AssertAllMatch(ExpectedConstants());

    [Fact]
    public void CoreRangeEnumsUseTheLinuxValues()
    {
        Assert.Equal(FuseConstants.FallocKeepSize, (int)Core.Namespace.AllocateMode.KeepSize);
        Assert.Equal(FuseConstants.FallocPunchHole, (int)Core.Namespace.AllocateMode.PunchHole);
        Assert.Equal(FuseConstants.FallocZeroRange, (int)Core.Namespace.AllocateMode.ZeroRange);
        Assert.Equal(FuseConstants.SeekData, (int)Core.Namespace.SeekWhence.Data);
        Assert.Equal(FuseConstants.SeekHole, (int)Core.Namespace.SeekWhence.Hole);
    }

    [Fact]
    public void FileInfoAccessorsSetOnlyTheirOwnBit()
    {
        FuseFileInfo info = default;
        info.KeepCache = true;
        Assert.Equal(FuseFileInfo.KeepCacheBit, info.BitFields);
        Assert.True(info.KeepCache);
        Assert.False(info.DirectIo);
        info.KeepCache = false;
        info.DirectIo = true;
        Assert.Equal(FuseFileInfo.DirectIoBit, info.BitFields);
        Assert.Equal(0, info.Flags);
        Assert.Equal(0ul, info.FileHandle);
    }

    private static void AssertAllMatch(Dictionary<string, long> expected)
    {
        Dictionary<string, long> probe = s_probe.Value;
        var problems = new List<string>();
        foreach ((string key, long value) in expected)
        {
            if (!probe.TryGetValue(key, out long actual))
            {
                problems.Add($"{key}: not printed by the C probe");
            }
            else if (actual != value)
            {
                problems.Add($"{key}: C says {actual}, C# says {value}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static Dictionary<string, long> ExpectedSizes() => new()
    {
        ["sizeof.stat"] = sizeof(Stat),
        ["sizeof.statvfs"] = sizeof(StatVfs),
        ["sizeof.timespec"] = sizeof(Timespec),
        ["sizeof.fuse_entry_param"] = sizeof(FuseEntryParam),
        ["sizeof.fuse_file_info"] = sizeof(FuseFileInfo),
        ["sizeof.fuse_conn_info"] = sizeof(FuseConnInfo),
        ["sizeof.fuse_ctx"] = sizeof(FuseContext),
        ["sizeof.fuse_args"] = sizeof(FuseArgs),
        ["sizeof.fuse_forget_data"] = sizeof(FuseForgetData),
        ["sizeof.fuse_lowlevel_ops"] = sizeof(FuseLowLevelOps),
    };

    private static Dictionary<string, long> ExpectedOffsets()
    {
        Stat stat = default;
        byte* s = (byte*)&stat;
        StatVfs vfs = default;
        byte* v = (byte*)&vfs;
        FuseEntryParam entry = default;
        byte* e = (byte*)&entry;
        FuseFileInfo info = default;
        byte* f = (byte*)&info;
        FuseConnInfo conn = default;
        byte* c = (byte*)&conn;
        FuseContext context = default;
        byte* x = (byte*)&context;
        FuseArgs args = default;
        byte* a = (byte*)&args;
        FuseForgetData forget = default;
        byte* g = (byte*)&forget;
        Timespec time = default;
        byte* t = (byte*)&time;
        return new Dictionary<string, long>
        {
            ["offsetof.timespec.tv_sec"] = (byte*)&time.Seconds - t,
            ["offsetof.timespec.tv_nsec"] = (byte*)&time.Nanoseconds - t,
            ["offsetof.stat.st_dev"] = (byte*)&stat.Device - s,
            ["offsetof.stat.st_ino"] = (byte*)&stat.Inode - s,
            ["offsetof.stat.st_nlink"] = (byte*)&stat.LinkCount - s,
            ["offsetof.stat.st_mode"] = (byte*)&stat.Mode - s,
            ["offsetof.stat.st_uid"] = (byte*)&stat.Uid - s,
            ["offsetof.stat.st_gid"] = (byte*)&stat.Gid - s,
            ["offsetof.stat.st_rdev"] = (byte*)&stat.RDevice - s,
            ["offsetof.stat.st_size"] = (byte*)&stat.Size - s,
            ["offsetof.stat.st_blksize"] = (byte*)&stat.BlockSize - s,
            ["offsetof.stat.st_blocks"] = (byte*)&stat.Blocks - s,
            ["offsetof.stat.st_atim"] = (byte*)&stat.AccessTime - s,
            ["offsetof.stat.st_mtim"] = (byte*)&stat.ModificationTime - s,
            ["offsetof.stat.st_ctim"] = (byte*)&stat.ChangeTime - s,
            ["offsetof.statvfs.f_bsize"] = (byte*)&vfs.BlockSize - v,
            ["offsetof.statvfs.f_frsize"] = (byte*)&vfs.FragmentSize - v,
            ["offsetof.statvfs.f_blocks"] = (byte*)&vfs.Blocks - v,
            ["offsetof.statvfs.f_bfree"] = (byte*)&vfs.FreeBlocks - v,
            ["offsetof.statvfs.f_bavail"] = (byte*)&vfs.AvailableBlocks - v,
            ["offsetof.statvfs.f_files"] = (byte*)&vfs.Files - v,
            ["offsetof.statvfs.f_ffree"] = (byte*)&vfs.FreeFiles - v,
            ["offsetof.statvfs.f_favail"] = (byte*)&vfs.AvailableFiles - v,
            ["offsetof.statvfs.f_fsid"] = (byte*)&vfs.FileSystemId - v,
            ["offsetof.statvfs.f_flag"] = (byte*)&vfs.Flags - v,
            ["offsetof.statvfs.f_namemax"] = (byte*)&vfs.MaximumNameLength - v,
            ["offsetof.fuse_entry_param.ino"] = (byte*)&entry.Inode - e,
            ["offsetof.fuse_entry_param.generation"] = (byte*)&entry.Generation - e,
            ["offsetof.fuse_entry_param.attr"] = (byte*)&entry.Attributes - e,
            ["offsetof.fuse_entry_param.attr_timeout"] = (byte*)&entry.AttributeTimeout - e,
            ["offsetof.fuse_entry_param.entry_timeout"] = (byte*)&entry.EntryTimeout - e,
            ["offsetof.fuse_file_info.flags"] = (byte*)&info.Flags - f,
            ["offsetof.fuse_file_info.fh"] = (byte*)&info.FileHandle - f,
            ["offsetof.fuse_file_info.lock_owner"] = (byte*)&info.LockOwner - f,
            ["offsetof.fuse_file_info.poll_events"] = (byte*)&info.PollEvents - f,
            ["offsetof.fuse_conn_info.proto_major"] = (byte*)&conn.ProtocolMajor - c,
            ["offsetof.fuse_conn_info.proto_minor"] = (byte*)&conn.ProtocolMinor - c,
            ["offsetof.fuse_conn_info.max_write"] = (byte*)&conn.MaxWrite - c,
            ["offsetof.fuse_conn_info.max_read"] = (byte*)&conn.MaxRead - c,
            ["offsetof.fuse_conn_info.max_readahead"] = (byte*)&conn.MaxReadahead - c,
            ["offsetof.fuse_conn_info.capable"] = (byte*)&conn.Capable - c,
            ["offsetof.fuse_conn_info.want"] = (byte*)&conn.Want - c,
            ["offsetof.fuse_conn_info.max_background"] = (byte*)&conn.MaxBackground - c,
            ["offsetof.fuse_conn_info.congestion_threshold"] = (byte*)&conn.CongestionThreshold - c,
            ["offsetof.fuse_conn_info.time_gran"] = (byte*)&conn.TimeGranularity - c,
            ["offsetof.fuse_ctx.uid"] = (byte*)&context.Uid - x,
            ["offsetof.fuse_ctx.gid"] = (byte*)&context.Gid - x,
            ["offsetof.fuse_ctx.pid"] = (byte*)&context.Pid - x,
            ["offsetof.fuse_ctx.umask"] = (byte*)&context.Umask - x,
            ["offsetof.fuse_args.argc"] = (byte*)&args.Count - a,
            ["offsetof.fuse_args.argv"] = (byte*)&args.Values - a,
            ["offsetof.fuse_args.allocated"] = (byte*)&args.Allocated - a,
            ["offsetof.fuse_forget_data.ino"] = (byte*)&forget.Inode - g,
            ["offsetof.fuse_forget_data.nlookup"] = (byte*)&forget.LookupCount - g,
        };
    }

    private static Dictionary<string, long> ExpectedOperationOffsets()
    {
        FuseLowLevelOps ops = default;
        byte* o = (byte*)&ops;
        long[] offsets =
        [
            (byte*)&ops.Init - o, (byte*)&ops.Destroy - o, (byte*)&ops.Lookup - o, (byte*)&ops.Forget - o,
            (byte*)&ops.GetAttr - o, (byte*)&ops.SetAttr - o, (byte*)&ops.ReadLink - o, (byte*)&ops.MakeNode - o,
            (byte*)&ops.MakeDirectory - o, (byte*)&ops.Unlink - o, (byte*)&ops.RemoveDirectory - o, (byte*)&ops.Symlink - o,
            (byte*)&ops.Rename - o, (byte*)&ops.Link - o, (byte*)&ops.Open - o, (byte*)&ops.Read - o, (byte*)&ops.Write - o,
            (byte*)&ops.Flush - o, (byte*)&ops.Release - o, (byte*)&ops.Fsync - o, (byte*)&ops.OpenDirectory - o,
            (byte*)&ops.ReadDirectory - o, (byte*)&ops.ReleaseDirectory - o, (byte*)&ops.FsyncDirectory - o,
            (byte*)&ops.StatFs - o, (byte*)&ops.SetXattr - o, (byte*)&ops.GetXattr - o, (byte*)&ops.ListXattr - o,
            (byte*)&ops.RemoveXattr - o, (byte*)&ops.Access - o, (byte*)&ops.Create - o, (byte*)&ops.GetLock - o,
            (byte*)&ops.SetLock - o, (byte*)&ops.Bmap - o, (byte*)&ops.Ioctl - o, (byte*)&ops.Poll - o,
            (byte*)&ops.WriteBuf - o, (byte*)&ops.RetrieveReply - o, (byte*)&ops.ForgetMulti - o, (byte*)&ops.Flock - o,
            (byte*)&ops.Fallocate - o, (byte*)&ops.ReadDirectoryPlus - o, (byte*)&ops.CopyFileRange - o, (byte*)&ops.Lseek - o,
        ];
        Assert.Equal(s_operationNames.Length, offsets.Length);
        var expected = new Dictionary<string, long>();
        for (int i = 0; i < offsets.Length; i++)
        {
            expected[$"offsetof.fuse_lowlevel_ops.{s_operationNames[i]}"] = offsets[i];
        }

        return expected;
    }

    private static Dictionary<string, long> ExpectedBitfieldBits()
    {
        uint[] masks =
        [
            FuseFileInfo.WritePageBit, FuseFileInfo.DirectIoBit, FuseFileInfo.KeepCacheBit, FuseFileInfo.FlushBit,
            FuseFileInfo.NonSeekableBit, FuseFileInfo.FlockReleaseBit, FuseFileInfo.CacheReaddirBit, FuseFileInfo.NoFlushBit,
        ];
        var expected = new Dictionary<string, long>();
        for (int i = 0; i < masks.Length; i++)
        {
            // Set the bit through the C# struct and find it in the raw bytes, as the probe does in C.
            FuseFileInfo info = default;
            info.BitFields = masks[i];
            byte* raw = (byte*)&info;
            long bit = -1;
            for (int b = 0; b < sizeof(FuseFileInfo) * 8; b++)
            {
                if ((raw[b / 8] & (1 << (b % 8))) != 0)
                {
                    bit = b;
                }
            }

            expected[$"bit.fuse_file_info.{s_bitfieldNames[i]}"] = bit;
        }

        return expected;
    }

    private static Dictionary<string, long> ExpectedConstants() => new()
    {
        ["const.FUSE_CAP_ASYNC_READ"] = FuseConstants.CapAsyncRead,
        ["const.FUSE_CAP_ATOMIC_O_TRUNC"] = FuseConstants.CapAtomicOTrunc,
        ["const.FUSE_CAP_EXPORT_SUPPORT"] = FuseConstants.CapExportSupport,
        ["const.FUSE_CAP_SPLICE_WRITE"] = FuseConstants.CapSpliceWrite,
        ["const.FUSE_CAP_SPLICE_MOVE"] = FuseConstants.CapSpliceMove,
        ["const.FUSE_CAP_SPLICE_READ"] = FuseConstants.CapSpliceRead,
        ["const.FUSE_CAP_WRITEBACK_CACHE"] = FuseConstants.CapWritebackCache,
        ["const.FUSE_CAP_PARALLEL_DIROPS"] = FuseConstants.CapParallelDirops,
        ["const.FUSE_SET_ATTR_MODE"] = FuseConstants.SetAttrMode,
        ["const.FUSE_SET_ATTR_UID"] = FuseConstants.SetAttrUid,
        ["const.FUSE_SET_ATTR_GID"] = FuseConstants.SetAttrGid,
        ["const.FUSE_SET_ATTR_SIZE"] = FuseConstants.SetAttrSize,
        ["const.FUSE_SET_ATTR_ATIME"] = FuseConstants.SetAttrAtime,
        ["const.FUSE_SET_ATTR_MTIME"] = FuseConstants.SetAttrMtime,
        ["const.FUSE_SET_ATTR_ATIME_NOW"] = FuseConstants.SetAttrAtimeNow,
        ["const.FUSE_SET_ATTR_MTIME_NOW"] = FuseConstants.SetAttrMtimeNow,
        ["const.FUSE_SET_ATTR_CTIME"] = FuseConstants.SetAttrCtime,
        ["const.FUSE_SET_ATTR_KILL_SUID"] = FuseConstants.SetAttrKillSuid,
        ["const.FUSE_SET_ATTR_KILL_SGID"] = FuseConstants.SetAttrKillSgid,
        ["const.FUSE_CAP_HANDLE_KILLPRIV"] = FuseConstants.CapHandleKillpriv,
        ["const.FALLOC_FL_KEEP_SIZE"] = FuseConstants.FallocKeepSize,
        ["const.FALLOC_FL_PUNCH_HOLE"] = FuseConstants.FallocPunchHole,
        ["const.FALLOC_FL_ZERO_RANGE"] = FuseConstants.FallocZeroRange,
        ["const.SEEK_DATA"] = FuseConstants.SeekData,
        ["const.SEEK_HOLE"] = FuseConstants.SeekHole,
        ["const.ENXIO"] = Errno.ENXIO,
        ["const.RENAME_NOREPLACE"] = FuseConstants.RenameNoReplace,
        ["const.RENAME_EXCHANGE"] = FuseConstants.RenameExchange,
        ["const.RENAME_WHITEOUT"] = FuseConstants.RenameWhiteout,
        ["const.XATTR_CREATE"] = FuseConstants.XattrCreate,
        ["const.XATTR_REPLACE"] = FuseConstants.XattrReplace,
        ["const.O_ACCMODE"] = FuseConstants.OAccessModeMask,
        ["const.O_RDONLY"] = FuseConstants.OReadOnly,
        ["const.O_WRONLY"] = FuseConstants.OWriteOnly,
        ["const.O_RDWR"] = FuseConstants.OReadWrite,
        ["const.O_TRUNC"] = FuseConstants.OTruncate,
        ["const.O_CLOEXEC"] = Libc.OCloExec,
        ["const.MNT_DETACH"] = FuseConstants.MntDetach,
        ["const.FUSE_LOG_ERR"] = LibFuseLog.LevelError,
        ["const.FUSE_LOG_WARNING"] = LibFuseLog.LevelWarning,
        ["const.FUSE_LOG_NOTICE"] = LibFuseLog.LevelNotice,
        ["const.FUSE_LOG_INFO"] = LibFuseLog.LevelInfo,
        ["const.FUSE_LOG_DEBUG"] = LibFuseLog.LevelDebug,
        ["const.S_IFMT"] = Core.Namespace.FileMode.TypeMask,
        ["const.S_IFDIR"] = Core.Namespace.FileMode.Directory,
        ["const.S_IFREG"] = Core.Namespace.FileMode.Regular,
        ["const.S_IFLNK"] = Core.Namespace.FileMode.SymbolicLink,
        ["const.EPERM"] = Errno.EPERM,
        ["const.ENOENT"] = Errno.ENOENT,
        ["const.EIO"] = Errno.EIO,
        ["const.E2BIG"] = Errno.E2BIG,
        ["const.ENOMEM"] = Errno.ENOMEM,
        ["const.EEXIST"] = Errno.EEXIST,
        ["const.ENOTDIR"] = Errno.ENOTDIR,
        ["const.EISDIR"] = Errno.EISDIR,
        ["const.EINVAL"] = Errno.EINVAL,
        ["const.EFBIG"] = Errno.EFBIG,
        ["const.ENOSPC"] = Errno.ENOSPC,
        ["const.EROFS"] = Errno.EROFS,
        ["const.EMLINK"] = Errno.EMLINK,
        ["const.ERANGE"] = Errno.ERANGE,
        ["const.ENAMETOOLONG"] = Errno.ENAMETOOLONG,
        ["const.ENOSYS"] = Errno.ENOSYS,
        ["const.ENOTEMPTY"] = Errno.ENOTEMPTY,
        ["const.ENODATA"] = Errno.ENODATA,
        ["const.EOPNOTSUPP"] = Errno.EOPNOTSUPP,
        ["const.ENOTCONN"] = Errno.ENOTCONN,
        ["const.ESTALE"] = Errno.ESTALE,
    };

    private static Dictionary<string, long> RunProbe()
    {
        string? missing = TestEnvironment.MissingCompiler;
        Assert.True(missing is null, $"cannot run the binding probe: {missing}");
        string directory = Directory.CreateTempSubdirectory("vdofuse-probe-").FullName;
        try
        {
            string source = Path.Combine(directory, "probe.c");
            string binary = Path.Combine(directory, "probe");
            File.WriteAllText(source, ProbeSource());
            TestEnvironment.RunChecked(
                "gcc", "-D_FILE_OFFSET_BITS=64", "-DFUSE_USE_VERSION=314", $"-I{TestEnvironment.FuseHeaderDirectory}",
                "-Wall", "-Werror", "-o", binary, source);
            string output = TestEnvironment.RunChecked(binary);
            var values = new Dictionary<string, long>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = line.IndexOf('=', StringComparison.Ordinal);
                values[line[..equals]] = long.Parse(line[(equals + 1)..], CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string ProbeSource()
    {
        var source = new System.Text.StringBuilder();
        source.AppendLine("""
            #define _GNU_SOURCE
            #include <fuse_lowlevel.h>
            #include <fuse_log.h>
            #include <stdio.h>
            #include <stddef.h>
            #include <string.h>
            #include <errno.h>
            #include <fcntl.h>
            #include <sys/stat.h>
            #include <sys/statvfs.h>
            #include <sys/xattr.h>
            #include <sys/mount.h>
            #define S(t) printf("sizeof.%s=%zu\n", #t, sizeof(struct t));
            #define O(t, f) printf("offsetof.%s.%s=%zu\n", #t, #f, offsetof(struct t, f));
            #define C(n) printf("const.%s=%lld\n", #n, (long long)(n));
            #define BIT(f) do { struct fuse_file_info fi; memset(&fi, 0, sizeof fi); fi.f = 1; \
                const unsigned char *p = (const unsigned char *)&fi; \
                for (size_t i = 0; i < sizeof fi; i++) for (int b = 0; b < 8; b++) \
                    if (p[i] & (1u << b)) printf("bit.fuse_file_info.%s=%zu\n", #f, i * 8 + b); } while (0)
            int main(void) {
            S(stat) S(statvfs) S(timespec) S(fuse_entry_param) S(fuse_file_info) S(fuse_conn_info) S(fuse_ctx)
            S(fuse_args) S(fuse_forget_data) S(fuse_lowlevel_ops)
            O(timespec, tv_sec) O(timespec, tv_nsec)
            O(stat, st_dev) O(stat, st_ino) O(stat, st_nlink) O(stat, st_mode) O(stat, st_uid) O(stat, st_gid)
            O(stat, st_rdev) O(stat, st_size) O(stat, st_blksize) O(stat, st_blocks) O(stat, st_atim) O(stat, st_mtim)
            O(stat, st_ctim)
            O(statvfs, f_bsize) O(statvfs, f_frsize) O(statvfs, f_blocks) O(statvfs, f_bfree) O(statvfs, f_bavail)
            O(statvfs, f_files) O(statvfs, f_ffree) O(statvfs, f_favail) O(statvfs, f_fsid) O(statvfs, f_flag)
            O(statvfs, f_namemax)
            O(fuse_entry_param, ino) O(fuse_entry_param, generation) O(fuse_entry_param, attr)
            O(fuse_entry_param, attr_timeout) O(fuse_entry_param, entry_timeout)
            O(fuse_file_info, flags) O(fuse_file_info, fh) O(fuse_file_info, lock_owner) O(fuse_file_info, poll_events)
            O(fuse_conn_info, proto_major) O(fuse_conn_info, proto_minor) O(fuse_conn_info, max_write)
            O(fuse_conn_info, max_read) O(fuse_conn_info, max_readahead) O(fuse_conn_info, capable)
            O(fuse_conn_info, want) O(fuse_conn_info, max_background) O(fuse_conn_info, congestion_threshold)
            O(fuse_conn_info, time_gran)
            O(fuse_ctx, uid) O(fuse_ctx, gid) O(fuse_ctx, pid) O(fuse_ctx, umask)
            O(fuse_args, argc) O(fuse_args, argv) O(fuse_args, allocated)
            O(fuse_forget_data, ino) O(fuse_forget_data, nlookup)
            """);
        foreach (string operation in s_operationNames)
        {
            source.AppendLine($"O(fuse_lowlevel_ops, {operation})");
        }

        foreach (string bitfield in s_bitfieldNames)
        {
            source.AppendLine($"BIT({bitfield});");
        }

        foreach (string constant in ExpectedConstants().Keys)
        {
            source.AppendLine($"C({constant["const.".Length..]})");
        }

        source.AppendLine("return 0; }");
        return source.ToString();
    }
}
