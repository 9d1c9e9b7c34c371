using System.Net.Sockets;
using System.Text;
using static VdoFuse.Integration.Tests.PosixCalls;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// FIFOs, sockets and device nodes: created with mkfifo, mknod (coreutils and the system call) and bind(2),
/// then listed (lstat type, mode, owner, link count, device numbers, size, readdir's d_type) exactly as the same
/// commands leave them on the local disk, also after a remount; a FIFO and a socket in the mount carry data.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class SpecialFileTests
{
    private const string Script = """
        mkfifo -m 640 fifo
        mknod -m 600 pipe p
        mknod -m 666 null c 1 3
        mknod -m 660 loop b 7 0
        mknod -m 644 wide c 511 70000
        ln pipe pipe-link
        chown 1000:1000 null
        chmod 1777 loop
        """;

    [FuseFact]
    public async Task FifosSocketsAndDeviceNodesAreCreatedAndListedAsOnTheLocalDisk()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        string local = Path.Combine(store.Root, "local");
        Directory.CreateDirectory(local);
        string mounted = store.PathOf("special");
        Directory.CreateDirectory(mounted);

        string expected = Create(local);
        string actual = Create(mounted);
        Console.WriteLine("special files in the mount:\n" + actual);
        Assert.Equal(expected, actual);
        Assert.Contains("null c 666 1000:1000 nlink 1 rdev 1:3 size 0 d_type c", actual, StringComparison.Ordinal);
        Assert.Contains("wide c 644 0:0 nlink 1 rdev 511:70000", actual, StringComparison.Ordinal);
        Assert.Contains("bound-socket s", actual, StringComparison.Ordinal);

        await ExchangeThroughFifo(Path.Combine(mounted, "fifo"));
        await ExchangeThroughSocket(store.PathOf("live-socket"));

        store.Remount();
        Assert.Equal(Report(local), Report(mounted));
        await ExchangeThroughFifo(Path.Combine(mounted, "pipe-link"));

        Tool.Must("rm", "-r", mounted);
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
    }

    private static string Create(string directory)
    {
        ToolResult result = Tool.Shell(Script, TimeSpan.FromMinutes(1), directory);
        Assert.True(result.ExitCode == 0, $"script in {directory}: {result}");
        Assert.Equal(0, Mknod(Path.Combine(directory, "mknod-socket"), TypeSocket | 0x1ED));
        // .NET removes the socket file of a bound socket when the socket is disposed: list while it is bound.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(directory, "bound-socket")));
        return Report(directory);
    }

    /// <summary>One line per entry, sorted: name, lstat type, mode, owner, link count, device numbers, size, d_type.</summary>
    private static string Report(string directory)
    {
        Assert.Equal(0, ReadDirectory(directory, out List<DirectoryEntry> entries));
        var lines = new List<string>();
        foreach (DirectoryEntry entry in entries)
        {
            if (entry.Name is "." or "..")
            {
                continue;
            }
            string path = Path.Combine(directory, entry.Name);
            PathStatus status = MustStat(path, follow: false);
            string owner = Tool.Must("stat", "-c", "%u:%g", path).Trim();
            lines.Add($"{entry.Name} {TypeLetter(status.Type)} {Convert.ToString(status.Permissions, 8)} {owner} nlink {status.LinkCount} " +
                $"rdev {status.RdevMajor}:{status.RdevMinor} size {status.Size} d_type {DirectoryTypeLetter(entry.Type)}");
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    private static async Task ExchangeThroughFifo(string fifo)
    {
        // Opening a FIFO blocks until the other end opens: the reader and the writer run at once.
        Task<string> reader = Task.Run(() => File.ReadAllText(fifo));
        Task writer = Task.Run(() => File.WriteAllText(fifo, "through the fifo"));
        await Task.WhenAll(reader, writer).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("through the fifo", reader.Result);
    }

    private static async Task ExchangeThroughSocket(string path)
    {
        var endPoint = new UnixDomainSocketEndPoint(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endPoint);
        listener.Listen(1);
        Assert.Equal(TypeSocket, MustStat(path, follow: false).Type);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(30));
        using Socket server = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await client.SendAsync(Encoding.ASCII.GetBytes("through the socket"));
        byte[] buffer = new byte[64];
        int received = await server.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("through the socket", Encoding.ASCII.GetString(buffer, 0, received));
    }
}
