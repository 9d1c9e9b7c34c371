namespace VdoFuse.Fuse;

/// <summary>A mount was refused; the message is one line meant for the user ("mountpoint /x does not exist").</summary>
public sealed class FuseMountException : Exception
{
    public FuseMountException()
    {
    }

    public FuseMountException(string message)
        : base(message)
    {
    }

    public FuseMountException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
