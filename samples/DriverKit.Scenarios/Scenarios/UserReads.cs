using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>What a user process sees when it reads the first byte of each page of a mapping.</summary>
internal static class UserReads
{
    /// <summary>Byte 0 of <paramref name="count"/> consecutive pages as text ('0' for a zero byte).</summary>
    /// <param name="p">The reading process.</param>
    /// <param name="start">The first page.</param>
    /// <param name="count">Pages to read.</param>
    /// <param name="failure">The first failed access, or null.</param>
    public static string FirstBytes(Process p, UserAddr start, int count, out Outcome? failure)
    {
        var seen = new char[count];
        failure = null;
        for (var i = 0; i < count; i++)
        {
            var r = p.ReadByte(start + (ulong)i * Kernel.PageSize, out var b);
            if (!r.IsOk)
            {
                failure = Outcome.Of(r);
                return new string(seen, 0, i);
            }

            seen[i] = b == 0 ? '0' : b is >= 0x20 and < 0x7f ? (char)b : '?';
        }

        return new string(seen);
    }

    /// <summary>Byte 0 of <paramref name="count"/> consecutive pages (0 where the read failed).</summary>
    /// <param name="p">The reading process.</param>
    /// <param name="start">The first page.</param>
    /// <param name="count">Pages to read.</param>
    public static byte[] FirstByteValues(Process p, UserAddr start, int count)
    {
        var bytes = new byte[count];
        for (var i = 0; i < count; i++)
        {
            p.ReadByte(start + (ulong)i * Kernel.PageSize, out bytes[i]);
        }

        return bytes;
    }
}
