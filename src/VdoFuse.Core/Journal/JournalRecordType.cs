namespace VdoFuse.Core.Journal;

/// <summary>
/// The records of a journal operation. Every record but <see cref="Map"/> states the result of a change
/// ("this name now points there", "this inode's attributes are now these"), so replaying one that the
/// checkpoint already holds does no harm; <see cref="Map"/> moves reference counts and is appended under the
/// checkpoint gate so that it lands on exactly one side of every cut.
/// <code>
/// Map          u64 inode | u64 first LBN | u32 count | count x u64 mapping (BlockMapping.Raw)
/// Unmap        u64 inode | u64 first LBN | u64 end LBN (exclusive; ulong.MaxValue = to the end)
/// Size         u64 inode | u64 size in bytes
/// Inode        u64 inode | attributes (see FileSystem.Journal)
/// Link         u64 directory | u8 name length | name | u64 inode
/// Unlink       u64 directory | u8 name length | name
/// Free         u64 inode
/// XattrSet     u64 inode | u8 name length | name | u32 value length | value
/// XattrRemove  u64 inode | u8 name length | name
/// </code>
/// </summary>
public enum JournalRecordType : byte
{
    Map = 1,
    Unmap = 2,
    Size = 3,
    Inode = 4,
    Link = 5,
    Unlink = 6,
    Free = 7,
    XattrSet = 8,
    XattrRemove = 9,
}
