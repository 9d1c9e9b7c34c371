namespace VdoFuse.Core.Format;

/// <summary>
/// Thrown when a store is damaged or is not a store at all. The message always says what is wrong and where
/// (file, block type, PBN), so that the CLI can print it as one line.
/// </summary>
public sealed class VdoFormatException : Exception
{
    public VdoFormatException(string message) : base(message) { }

    public VdoFormatException(string message, Exception inner) : base(message, inner) { }
}
