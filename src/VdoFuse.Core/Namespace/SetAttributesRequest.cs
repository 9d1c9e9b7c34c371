namespace VdoFuse.Core.Namespace;

/// <summary>Which attributes a setattr changes.</summary>
[Flags]
public enum SetAttributesFields
{
    None = 0,
    Mode = 1,
    Uid = 2,
    Gid = 4,
    Size = 8,
    AccessTime = 16,
    ModificationTime = 32,
    /// <summary>Set the access time to now (utimensat UTIME_NOW).</summary>
    AccessTimeNow = 64,
    /// <summary>Set the modification time to now.</summary>
    ModificationTimeNow = 128,
    ChangeTime = 256,
    /// <summary>Clear set-user-ID (FUSE_SET_ATTR_KILL_SUID: the kernel asks the daemon to do it).</summary>
    KillSetUid = 512,
    /// <summary>Clear set-group-ID when group execute is set (FUSE_SET_ATTR_KILL_SGID).</summary>
    KillSetGid = 1024,
}

/// <summary>A setattr request: only the fields named in <see cref="Fields"/> are applied.</summary>
public readonly record struct SetAttributesRequest(
    SetAttributesFields Fields,
    uint Mode,
    uint Uid,
    uint Gid,
    ulong Size,
    Timestamp AccessTime,
    Timestamp ModificationTime,
    Timestamp ChangeTime);
