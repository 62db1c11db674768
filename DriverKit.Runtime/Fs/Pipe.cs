namespace DriverKit.Runtime;

/// <summary>
/// struct pipe_inode_info (fs/pipe.c): the ring of bytes between a pipe's two ends and how many open files read and
/// write it. The ring's pages are host memory here, not simulated frames: a pipe's buffers are the kernel's own
/// allocations, which no driver holds and the checker does not account.
/// </summary>
internal sealed class Pipe
{
    /// <summary>PIPE_DEF_BUFFERS pages: 64 KiB.</summary>
    internal const int Capacity = 16 * (int)Kernel.PageSize;

    private readonly byte[] ring = new byte[Capacity];
    private int head;

    /// <summary>Bytes waiting to be read.</summary>
    internal int Length { get; private set; }

    /// <summary>pipe-&gt;readers: open files of the read end.</summary>
    internal int Readers { get; set; } = 1;

    /// <summary>pipe-&gt;writers: open files of the write end.</summary>
    internal int Writers { get; set; } = 1;

    /// <summary>Room left in the ring.</summary>
    internal int Free => Capacity - Length;

    /// <summary>Appends <paramref name="bytes"/> (which must fit).</summary>
    internal void Push(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            ring[(head + Length + i) % Capacity] = bytes[i];
        }

        Length += bytes.Length;
    }

    /// <summary>Copies the oldest bytes into <paramref name="into"/> without removing them.</summary>
    internal void Peek(Span<byte> into)
    {
        for (var i = 0; i < into.Length; i++)
        {
            into[i] = ring[(head + i) % Capacity];
        }
    }

    /// <summary>Removes the <paramref name="count"/> oldest bytes.</summary>
    internal void Drop(int count)
    {
        head = (head + count) % Capacity;
        Length -= count;
    }
}
