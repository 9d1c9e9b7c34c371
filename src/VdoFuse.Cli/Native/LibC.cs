using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VdoFuse.Cli.Native;

/// <summary>The few libc calls the CLI needs: a new session for the daemon, standard streams to /dev/null, getxattr.</summary>
internal static unsafe partial class LibC
{
    private const int ENODATA = 61;
    private const int ERANGE = 34;

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static partial int SetSidNative();

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2Native(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetXattrNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2Native(string target, int flags);

    /// <summary>Detaches a mount lazily (MNT_DETACH); false if the kernel refused.</summary>
    public static bool DetachMount(string mountpoint) => Umount2Native(mountpoint, 2) == 0;

    /// <summary>Leaves the shell's session and process group, so the daemon survives the terminal closing.</summary>
    public static void SetSid()
    {
        // Fails with EPERM only when already a group leader, which a child started by Process.Start is not;
        // the daemon then still works, it is merely in the shell's group.
        _ = SetSidNative();
    }

    /// <summary>Points stdin, stdout and stderr at /dev/null (the daemon's parent has gone or is going).</summary>
    public static void DetachStandardStreams()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        int fd = (int)devNull.DangerousGetHandle();
        for (int target = 0; target <= 2; target++)
        {
            _ = Dup2Native(fd, target);
        }
    }

    /// <summary>Reads an xattr as text; null when the file does not have it.</summary>
    public static string? GetXattr(string path, string name)
    {
        string? value = TryGetXattr(path, name, out int errno);
        if (errno != 0)
        {
            throw new CliException($"cannot read xattr {name} of {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return value;
    }

    /// <summary>
    /// Reads an xattr as text: the value, or null with <paramref name="errno"/> 0 when the file does not have it,
    /// or null with the errno of any other failure (ENOENT when the file vanished meanwhile).
    /// </summary>
    public static string? TryGetXattr(string path, string name, out int errno)
    {
        errno = 0;
        int size = 256;
        while (true)
        {
            byte[] buffer = new byte[size];
            nint length;
            fixed (byte* p = buffer)
            {
                length = GetXattrNative(path, name, p, (nuint)buffer.Length);
            }
            if (length >= 0)
            {
                return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length).TrimEnd('\0', '\n', ' ');
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno == ENODATA)
            {
                errno = 0;
                return null;
            }
            if (errno == ERANGE && size < (1 << 20))
            {
                size *= 16;
                continue;
            }
            return null;
        }
    }
}
