namespace VdoFuse.Integration.Tests;

[Collection(FuseCollection.Name)]
public sealed class PosixToolTests
{
    /// <summary>
    /// cp, dd, truncate, mv, ln -s, ln, chmod, touch -d, setfattr/getfattr, then a report of names, types, sizes,
    /// modes, link counts, chosen times, contents, link targets, xattrs and error messages. Run in a folder on the
    /// local disk (ext4) and in the mount; the reports must be identical.
    /// </summary>
    private const string Script = """
        printf 'hello world\n' > a.txt
        cp a.txt b.txt
        dd if="$SEED" of=d.bin bs=4096 count=100 status=none
        dd if="$SEED" of=d.bin bs=4096 skip=7 seek=50 count=10 conv=notrunc status=none
        dd if="$SEED" of=d.bin bs=1000 skip=3 seek=1001 count=3 conv=notrunc status=none
        dd if=/dev/zero of=d.bin bs=4096 seek=300 count=1 conv=notrunc status=none
        cp d.bin d2.bin
        truncate -s 5000 d2.bin
        truncate -s 20000 d2.bin
        truncate -s 10M sparse.bin
        truncate -s 3M grow.bin
        dd if="$SEED" of=grow.bin bs=4096 seek=5 count=2 conv=notrunc status=none
        truncate -s 1M grow.bin
        mkdir -p dir/sub
        mv b.txt dir/sub/moved.txt
        mv dir renamed
        cp d.bin renamed/copy.bin
        mv -T d2.bin renamed/copy.bin
        ln -s renamed/sub/moved.txt link
        ln -s nowhere dangling
        ln a.txt hard.txt
        chmod 640 a.txt
        chmod 750 renamed
        chmod 4755 d.bin
        setfattr -n user.color -v blue a.txt
        setfattr -n user.bin -v 0x00ff10 d.bin
        setfattr -n user.tmp -v gone d.bin
        setfattr -x user.tmp d.bin
        touch -d '2001-02-03 04:05:06' a.txt
        touch -m -d '2011-12-13 14:15:16.5' d.bin
        touch -a -d '2012-01-02 03:04:05' d.bin
        stat -c '%n atime %x' d.bin
        echo '--- tree'
        find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
          if [ -d "$p" ] && [ ! -L "$p" ]; then stat -c '%n %F %a' "$p"; else stat -c '%n %F %s %a %h' "$p"; fi
        done
        echo '--- times'
        stat -c '%n %y' a.txt hard.txt d.bin
        echo '--- contents'
        find . -type f | LC_ALL=C sort | xargs sha256sum
        echo '--- links'
        readlink link dangling
        cat link
        echo '--- xattrs'
        getfattr -n user.color --only-values a.txt; echo
        getfattr -e hex -n user.bin d.bin
        getfattr -d -m '^user\.' a.txt d.bin renamed/copy.bin 2>&1 | grep -v -e '^user\.vdo\.' -e '^# file:' -e '^$' || true
        echo '--- errors'
        rmdir renamed 2>&1 || echo "rmdir rc=$?"
        mv nothing here 2>&1 || echo "mv rc=$?"
        cat dangling 2>&1 || echo "cat rc=$?"
        getfattr -n user.nope a.txt 2>&1 || echo "getfattr rc=$?"
        mkdir renamed 2>&1 || echo "mkdir rc=$?"
        ln -s x link 2>&1 || echo "ln rc=$?"
        """;

    [FuseFact]
    public async Task CommonToolsBehaveAsOnExt4()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        string seed = Path.Combine(store.Root, "seed.bin");
        byte[] bytes = new byte[4096 * 64];
        new Random(1234).NextBytes(bytes);
        File.WriteAllBytes(seed, bytes);
        string local = Path.Combine(store.Root, "local");
        Directory.CreateDirectory(local);

        string expected = RunScript(local, seed);
        string actual = RunScript(store.Mountpoint, seed);
        Assert.Equal(expected, actual);

        store.Remount();
        string afterRemount = RunScript(store.Mountpoint, seed, reportOnly: true);
        Assert.Equal(Report(expected), afterRemount);
    }

    private static string RunScript(string directory, string seed, bool reportOnly = false)
    {
        string script = reportOnly ? Script[Script.IndexOf("echo '--- tree'", StringComparison.Ordinal)..] : Script;
        ToolResult result = Tool.Shell($"export SEED='{seed}'\n" + script, TimeSpan.FromMinutes(2), directory);
        Assert.True(result.ExitCode == 0, $"script in {directory}: {result}");
        return result.Stdout.Replace(directory, "DIR", StringComparison.Ordinal);
    }

    private static string Report(string output) => output[output.IndexOf("--- tree", StringComparison.Ordinal)..];
}
