using Microsoft.Extensions.Logging;
using VdoFuse.Core.Namespace;

namespace VdoFuse.Fuse;

// STUB: the contract the CLI builds against; the real type lands with the FUSE binding.
public sealed class FuseSession : IDisposable
{
    public static FuseSession Mount(IFileSystem fileSystem, string mountpoint, FuseMountOptions options, ILogger logger) =>
        throw new NotImplementedException();

    public int Run() => throw new NotImplementedException();

    public void Exit() => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
