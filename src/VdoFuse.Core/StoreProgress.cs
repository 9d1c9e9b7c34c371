namespace VdoFuse.Core;

/// <summary>
/// How far a long store operation (format, check, repair) has come: the phase it is in and, when the phase can
/// be counted, how many of its units are done. The core only reports through an <see cref="IProgress{T}"/> the
/// caller passes; drawing it (or not, when there is no terminal) is the caller's business.
/// </summary>
/// <param name="Phase">What is being done, e.g. <c>block maps</c>; stable wording, no trailing punctuation.</param>
/// <param name="Done">Units of the phase done so far.</param>
/// <param name="Total">Units the phase has in all, or 0 when it cannot be counted.</param>
/// <param name="Unit">What the units are, e.g. <c>blocks</c>; empty when <paramref name="Total"/> is 0.</param>
public readonly record struct StoreProgress(string Phase, long Done, long Total, string Unit);
