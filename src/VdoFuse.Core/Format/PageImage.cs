namespace VdoFuse.Core.Format;

/// <summary>A sealed metadata block image and the PBN it belongs at: the unit a checkpoint writes.</summary>
public readonly record struct PageImage(ulong Pbn, byte[] Image);
