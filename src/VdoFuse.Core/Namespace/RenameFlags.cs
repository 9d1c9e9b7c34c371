namespace VdoFuse.Core.Namespace;

/// <summary>renameat2 flags (values from linux/fs.h).</summary>
[Flags]
public enum RenameFlags : uint
{
    None = 0,
    NoReplace = 1,
    Exchange = 2,
    Whiteout = 4,
}
