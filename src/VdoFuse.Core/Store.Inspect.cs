using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core;

public sealed partial class Store
{
    /// <summary>
    /// The geometry of the store in <paramref name="directory"/>: what was fixed when it was formatted (physical
    /// size, slab size, index memory, journal and region layout). Reads block 0 of <c>data</c> only: no lock is
    /// taken, nothing is written and the index is not opened, so it works on a mounted store too, and lets a
    /// caller compare the sizes it was given with the store's before opening it. Throws
    /// <see cref="VdoFormatException"/> when the directory is not a store or block 0 is damaged.
    /// </summary>
    public static Geometry ReadGeometry(string directory)
    {
        if (Probe(directory) != StoreProbe.Store)
        {
            throw new VdoFormatException($"{directory} is not a VdoFuse store");
        }
        string dataPath = Path.Combine(directory, DataFileName);
        using var device = new FileBlockDevice(dataPath, writable: false);
        return ReadGeometry(device, dataPath);
    }
}
