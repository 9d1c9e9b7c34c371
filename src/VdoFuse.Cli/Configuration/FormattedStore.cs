using VdoFuse.Core.Format;

namespace VdoFuse.Cli.Configuration;

/// <summary>An existing store about to be mounted, with its geometry (read without opening it): the values its format-time keys must have.</summary>
internal sealed record FormattedStore(string Directory, Geometry Geometry);
