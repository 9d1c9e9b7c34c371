namespace VdoFuse.Core.Namespace;

/// <summary>Who made a request: new objects take this uid and gid.</summary>
public readonly record struct CallerContext(uint Uid, uint Gid, uint Pid, uint Umask)
{
    public static readonly CallerContext Root = new(0, 0, 0, 0);
}
