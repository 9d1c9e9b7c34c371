using VdoFuse.Core;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse.Tests;

public sealed class ErrnoMappingTests
{
    public static TheoryData<VdoStatus, int> DocumentedMappings => new()
    {
        { VdoStatus.Success, 0 },
        { VdoStatus.NotFound, Errno.ENOENT },
        { VdoStatus.Exists, Errno.EEXIST },
        { VdoStatus.NotDirectory, Errno.ENOTDIR },
        { VdoStatus.IsDirectory, Errno.EISDIR },
        { VdoStatus.NotEmpty, Errno.ENOTEMPTY },
        { VdoStatus.NoSpace, Errno.ENOSPC },
        { VdoStatus.ReadOnly, Errno.EROFS },
        { VdoStatus.NameTooLong, Errno.ENAMETOOLONG },
        { VdoStatus.InvalidArgument, Errno.EINVAL },
        { VdoStatus.NoAttribute, Errno.ENODATA },
        { VdoStatus.BufferTooSmall, Errno.ERANGE },
        { VdoStatus.NotPermitted, Errno.EPERM },
        { VdoStatus.FileTooBig, Errno.EFBIG },
        { VdoStatus.NotSupported, Errno.EOPNOTSUPP },
        { VdoStatus.TooManyLinks, Errno.EMLINK },
        { VdoStatus.TooBig, Errno.E2BIG },
        { VdoStatus.IoError, Errno.EIO },
        { VdoStatus.NotSymlink, Errno.EINVAL },
        { VdoStatus.Stale, Errno.ESTALE },
        { VdoStatus.NoSuchOffset, Errno.ENXIO },
    };

    [Theory]
    [MemberData(nameof(DocumentedMappings))]
    public void EachStatusMapsToTheErrnoItsDocumentationNames(VdoStatus status, int errno) =>
        Assert.Equal(errno, ErrnoMapping.ToErrno(status));

    [Fact]
    public void EveryStatusValueHasAnExplicitMapping()
    {
        var covered = new HashSet<VdoStatus>();
        foreach (object[] row in DocumentedMappings)
        {
            covered.Add((VdoStatus)row[0]);
        }

        foreach (VdoStatus status in Enum.GetValues<VdoStatus>())
        {
            Assert.True(covered.Contains(status), $"{status} has no row in the mapping table test");
            if (status is not VdoStatus.Success and not VdoStatus.IoError)
            {
                Assert.NotEqual(Errno.EIO, ErrnoMapping.ToErrno(status));
            }
        }
    }

    [Fact]
    public void OnlySuccessMapsToZero()
    {
        foreach (VdoStatus status in Enum.GetValues<VdoStatus>())
        {
            Assert.Equal(status == VdoStatus.Success, ErrnoMapping.ToErrno(status) == 0);
        }
    }

    [Fact]
    public void AnUnknownStatusMapsToEio() => Assert.Equal(Errno.EIO, ErrnoMapping.ToErrno((VdoStatus)12345));
}
