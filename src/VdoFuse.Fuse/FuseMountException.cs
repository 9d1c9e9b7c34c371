namespace VdoFuse.Fuse;

// STUB: the contract the CLI builds against; the real type lands with the FUSE binding.
public sealed class FuseMountException : Exception
{
    public FuseMountException(string message) : base(message) { }
}
