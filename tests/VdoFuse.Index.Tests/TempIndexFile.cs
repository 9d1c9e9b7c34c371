namespace VdoFuse.Index.Tests;

/// <summary>A unique temporary directory holding one index file path; deleted on dispose.</summary>
internal sealed class TempIndexFile : IDisposable
{
    private readonly string _directory;

    public TempIndexFile()
    {
        _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vdofuse-index-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_directory);
        Path = System.IO.Path.Combine(_directory, "index");
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}
