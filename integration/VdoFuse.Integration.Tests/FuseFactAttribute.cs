namespace VdoFuse.Integration.Tests;

/// <summary>
/// A test that mounts real FUSE. Without /dev/fuse or fusermount3 it is skipped with the reason, except in CI
/// (CI=true), where it runs and fails with the reason: CI must never pass by skipping every mount.
/// </summary>
public sealed class FuseFactAttribute : FactAttribute
{
    public FuseFactAttribute()
    {
        string? missing = FuseEnvironment.Missing();
        if (missing is not null && !FuseEnvironment.InCi)
        {
            Skip = missing;
        }
    }
}

/// <summary>A theory that mounts real FUSE; skipped or failed like <see cref="FuseFactAttribute"/>.</summary>
public sealed class FuseTheoryAttribute : TheoryAttribute
{
    public FuseTheoryAttribute()
    {
        string? missing = FuseEnvironment.Missing();
        if (missing is not null && !FuseEnvironment.InCi)
        {
            Skip = missing;
        }
    }
}

public static class FuseEnvironment
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why real mounts cannot run here, or null.</summary>
    public static string? Missing()
    {
        if (!File.Exists("/dev/fuse"))
        {
            return "/dev/fuse is missing (load the fuse module, or run the container with --device /dev/fuse)";
        }
        if (!File.Exists("/usr/bin/fusermount3") && !File.Exists("/bin/fusermount3"))
        {
            return "fusermount3 is missing (apt-get install fuse3)";
        }
        if (!File.Exists("/usr/sbin/mke2fs") && !File.Exists("/sbin/mke2fs"))
        {
            return "mke2fs is missing (apt-get install e2fsprogs)";
        }
        return null;
    }

    public static void Require()
    {
        string? missing = Missing();
        Assert.True(missing is null, missing);
    }
}
