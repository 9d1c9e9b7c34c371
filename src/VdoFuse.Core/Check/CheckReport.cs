namespace VdoFuse.Core.Check;

/// <summary>What <c>vdofuse check</c> found: what it checked, each problem with its location, and what a repair changed.</summary>
public sealed class CheckReport
{
    public List<string> Checked { get; } = [];

    public List<string> Problems { get; } = [];

    public List<string> Notes { get; } = [];

    public List<string> Repairs { get; } = [];

    public bool IsClean => Problems.Count == 0;

    /// <summary>Problems beyond this many are counted, not listed, so a badly damaged store prints a readable report.</summary>
    public const int MaximumListed = 200;

    public int Unlisted { get; private set; }

    public void Problem(string text)
    {
        if (Problems.Count < MaximumListed)
        {
            Problems.Add(text);
        }
        else
        {
            Unlisted++;
            Problems.Add(text);
        }
    }
}
