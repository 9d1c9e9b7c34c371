using System.Text;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;

namespace VdoFuse.Core.Tests;

/// <summary>Small conveniences for driving an <see cref="IFileSystem"/> by path-free inode calls in tests.</summary>
internal static class FsHelpers
{
    public static readonly CallerContext Caller = new(1000, 1000, 1, 0);

    public static byte[] N(string name) => Encoding.UTF8.GetBytes(name);

    public static InodeNumber CreateFile(this IFileSystem fs, string name, InodeNumber? parent = null)
    {
        Assert.Equal(VdoStatus.Success, fs.Create(parent ?? InodeNumber.Root, N(name), 0x1A4, Caller, out InodeAttributes attributes));
        return attributes.Inode;
    }

    public static InodeNumber Find(this IFileSystem fs, string name, InodeNumber? parent = null)
    {
        Assert.Equal(VdoStatus.Success, fs.Lookup(parent ?? InodeNumber.Root, N(name), out InodeAttributes attributes));
        return attributes.Inode;
    }

    public static void WriteAll(this IFileSystem fs, InodeNumber inode, long offset, byte[] data)
    {
        Assert.Equal(VdoStatus.Success, fs.Write(inode, offset, data, out int written));
        Assert.Equal(data.Length, written);
    }

    public static byte[] ReadAll(this IFileSystem fs, InodeNumber inode)
    {
        Assert.Equal(VdoStatus.Success, fs.GetAttributes(inode, out InodeAttributes attributes));
        byte[] buffer = new byte[attributes.Size];
        int done = 0;
        while (done < buffer.Length)
        {
            int chunk = Math.Min(1 << 20, buffer.Length - done);
            Assert.Equal(VdoStatus.Success, fs.Read(inode, done, buffer.AsSpan(done, chunk), out int read));
            Assert.True(read > 0, "read returned no bytes before the end of the file");
            done += read;
        }
        return buffer;
    }

    public static string Xattr(this IFileSystem fs, InodeNumber inode, string name)
    {
        Assert.Equal(VdoStatus.Success, fs.GetExtendedAttribute(inode, N(name), [], out int size, Caller));
        byte[] value = new byte[size];
        Assert.Equal(VdoStatus.Success, fs.GetExtendedAttribute(inode, N(name), value, out _, Caller));
        return Encoding.ASCII.GetString(value);
    }

    public static byte[] Block(int seed, int blocks = 1)
    {
        byte[] data = new byte[blocks * 4096];
        new Random(seed).NextBytes(data);
        return data;
    }
}
