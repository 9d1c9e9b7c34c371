namespace VdoFuse.Integration.Tests;

/// <summary>
/// The .deb end to end through integration/deb-package.sh: build, dpkg -i, mount -t fuse.vdofuse, umount, mount -T
/// with a temporary fstab, stats with the installed vdofuse, dpkg -r. It installs a package on the machine, so it
/// runs only as root with dpkg-deb and FUSE available, and is skipped (with the reason) otherwise.
/// </summary>
public sealed class DebPackageTests
{
    [DebFact]
    public void PackageInstallsMountsFromFstabReportsStatsAndRemovesCleanly()
    {
        string script = Path.Combine(VdoFuseCli.RepositoryRoot, "integration", "deb-package.sh");
        ToolResult result = Tool.Run("/bin/bash", [script], TimeSpan.FromMinutes(4), VdoFuseCli.RepositoryRoot);
        Assert.True(result.ExitCode == 0 && result.Stdout.TrimEnd().EndsWith("deb-package: ok", StringComparison.Ordinal),
            $"integration/deb-package.sh: {result}");
    }
}

/// <summary>Runs only where installing a package and mounting are allowed; says why it is skipped otherwise.</summary>
public sealed class DebFactAttribute : FactAttribute
{
    public DebFactAttribute()
    {
        Skip = Missing();
    }

    private static string? Missing()
    {
        if (!File.ReadAllText("/proc/self/status").Contains("\nUid:\t0\t", StringComparison.Ordinal))
        {
            return "needs root: it installs the .deb with dpkg -i and mounts with mount(8)";
        }
        if (!File.Exists("/usr/bin/dpkg-deb") || !File.Exists("/usr/bin/dpkg"))
        {
            return "needs dpkg and dpkg-deb (a Debian-based system)";
        }
        if (File.Exists("/var/lib/dpkg/info/vdofuse.list"))
        {
            return "a vdofuse package is already installed; the test will not replace or remove it";
        }
        return FuseEnvironment.Missing();
    }
}
