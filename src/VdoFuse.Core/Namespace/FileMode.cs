namespace VdoFuse.Core.Namespace;

/// <summary>Linux file-type and permission bits of <c>st_mode</c> (values from sys/stat.h).</summary>
public static class FileMode
{
    public const uint TypeMask = 0xF000;
    public const uint Socket = 0xC000;
    public const uint SymbolicLink = 0xA000;
    public const uint Regular = 0x8000;
    public const uint BlockDevice = 0x6000;
    public const uint Directory = 0x4000;
    public const uint CharacterDevice = 0x2000;
    public const uint Fifo = 0x1000;
    public const uint SetUid = 0x800;
    public const uint SetGid = 0x400;
    public const uint Sticky = 0x200;
    public const uint PermissionMask = 0xFFF;

    public static bool IsDirectory(uint mode) => (mode & TypeMask) == Directory;

    public static bool IsRegular(uint mode) => (mode & TypeMask) == Regular;

    public static bool IsSymbolicLink(uint mode) => (mode & TypeMask) == SymbolicLink;
}
