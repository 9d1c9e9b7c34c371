namespace VdoFuse.Core.Namespace;

/// <summary>setxattr flags (values from sys/xattr.h).</summary>
[Flags]
public enum XattrFlags
{
    None = 0,
    Create = 1,
    Replace = 2,
}
