namespace VdoFuse.Core;

/// <summary>Logical block number within a file.</summary>
public readonly record struct Lbn(ulong Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Physical block number in the store's <c>data</c> file.</summary>
public readonly record struct Pbn(ulong Value)
{
    public static readonly Pbn None = new(0);

    public bool IsNone => Value == 0;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A recovery-journal sequence number; a checkpoint's cut is one of these.</summary>
public readonly record struct JournalPoint(ulong Value) : IComparable<JournalPoint>
{
    public int CompareTo(JournalPoint other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An inode number, stable across remounts. 1 is the root directory.</summary>
public readonly record struct InodeNumber(ulong Value)
{
    public static readonly InodeNumber Root = new(1);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
