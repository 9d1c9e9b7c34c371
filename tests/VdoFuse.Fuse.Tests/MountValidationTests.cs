using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse.Tests;

/// <summary>Mount refuses bad mountpoints with one-line messages, before touching /dev/fuse.</summary>
public sealed unsafe class MountValidationTests
{
    [Fact]
    public void MountOnAMissingDirectorySaysItDoesNotExist()
    {
        string path = Path.Combine(Path.GetTempPath(), $"vdofuse-missing-{Guid.NewGuid():N}");
        var exception = Assert.Throws<FuseMountException>(() => FuseSession.Mount(new InMemoryFileSystem(), path, new FuseMountOptions(), new ListLogger()));
        Assert.Equal($"mountpoint {path} does not exist", exception.Message);
    }

    [Fact]
    public void MountOnAFileSaysItIsNotADirectory()
    {
        string path = Path.GetTempFileName();
        try
        {
            var exception = Assert.Throws<FuseMountException>(() => FuseSession.Mount(new InMemoryFileSystem(), path, new FuseMountOptions(), new ListLogger()));
            Assert.Equal($"mountpoint {path} is not a directory", exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MountOptionsEscapeCommasAndCarryTheFlags()
    {
        string options = FuseSession.BuildMountOptions(new FuseMountOptions { FsName = "a,b", AllowOther = true, ReadOnly = true });
        Assert.Equal("fsname=a\\,b,subtype=vdofuse,default_permissions,max_read=1048576,allow_other,ro", options);
    }

    [Fact]
    public void SetattrNowBitsWinOverTheSuppliedTimes()
    {
        Stat stat = default;
        stat.Mode = 0x1A4;
        stat.Size = 42;
        stat.AccessTime = new Timespec { Seconds = 7, Nanoseconds = 8 };
        int toSet = FuseConstants.SetAttrAtime | FuseConstants.SetAttrAtimeNow | FuseConstants.SetAttrMtime | FuseConstants.SetAttrSize | FuseConstants.SetAttrMode | FuseConstants.SetAttrCtime;
        Core.Namespace.SetAttributesRequest request = FuseOperations.ToSetAttributesRequest(&stat, toSet);
        Assert.Equal(
            Core.Namespace.SetAttributesFields.AccessTimeNow | Core.Namespace.SetAttributesFields.ModificationTime | Core.Namespace.SetAttributesFields.Size
            | Core.Namespace.SetAttributesFields.Mode | Core.Namespace.SetAttributesFields.ChangeTime,
            request.Fields);
        Assert.Equal(42ul, request.Size);
        Assert.Equal(0x1A4u, request.Mode);
        Assert.Equal(new Core.Namespace.Timestamp(7, 8), request.AccessTime);
    }
}
