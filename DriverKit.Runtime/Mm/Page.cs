namespace DriverKit.Runtime;

/// <summary>
/// A <c>struct page *</c>: a cheap handle (frame table + pfn) to one RAM frame's metadata. The default value is
/// NULL. Pages of one allocation are contiguous, so <c>page + i</c> addresses the i-th subpage as in C.
/// </summary>
public readonly struct Page : IEquatable<Page>
{
    private readonly MemMap? map;
    private readonly int pfn;

    internal Page(MemMap map, int pfn)
    {
        this.map = map;
        this.pfn = pfn;
    }

    internal MemMap Map => map ?? throw new NullPageException(this);

    internal int Index => map is null ? throw new NullPageException(this) : pfn;

    /// <summary>NOPAGE_OOM: what a legacy -&gt;nopage returns when it is out of memory.</summary>
    public static readonly Page NoPageOom = new(null!, -1);

    /// <summary>True for the NULL page (allocation failure, NOPAGE_SIGBUS) and for <see cref="NoPageOom"/>.</summary>
    public bool IsNull => map is null;

    /// <summary>True for <see cref="NoPageOom"/>.</summary>
    public bool IsNoPageOom => map is null && pfn == -1;

    /// <summary>The page's frame number (page_to_pfn).</summary>
    public Pfn Pfn => new((ulong)Index);

    /// <summary>page_count(): the reference count of the page (of its compound head for tails).</summary>
    public int Refcount => Map.RefCount[Map.CompoundHead(Index)];

    /// <summary>page_mapcount(): the number of PTE mappings accounted to this page.</summary>
    public int Mapcount => Map.MapCount[Index];

    /// <summary>page-&gt;flags: the page's PG_* flags.</summary>
    public PageFlags Flags => (PageFlags)Map.Flags[Index];

    /// <summary>page-&gt;page_type: the page type (slab, buddy, …).</summary>
    public PageType Type => Map.Type[Index];

    /// <summary>True for a compound head or tail (PageCompound).</summary>
    public bool IsCompound => Map.IsCompound(Index);

    /// <summary>True for a tail page of a compound page (PageTail).</summary>
    public bool IsTail => Map.IsCompoundTail(Index);

    /// <summary>True for an anonymous page (PageAnon).</summary>
    public bool IsAnon => Map.Mapping[Index] == MemMap.AnonMapping;

    /// <summary>The subpage <paramref name="i"/> pages further on.</summary>
    /// <param name="page">The first page.</param>
    /// <param name="i">Pages to advance.</param>
    public static Page operator +(Page page, int i)
    {
        var m = page.Map;
        var target = page.pfn + i;
        if ((uint)target >= (uint)m.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(i), $"page + {i} leaves RAM (pfn {target:x} of {m.Count:x} frames)");
        }

        return new Page(m, target);
    }

    /// <summary>The next page: C's <c>page++</c>, as in <c>SetPageReserved(page++)</c> over a block.</summary>
    /// <param name="page">The page.</param>
    public static Page operator ++(Page page) => page + 1;

    /// <summary>The previous page: C's <c>page--</c>.</summary>
    /// <param name="page">The page.</param>
    public static Page operator --(Page page) => page + -1;

    /// <summary>Pages between two subpages of one allocation.</summary>
    /// <param name="a">Later page.</param>
    /// <param name="b">Earlier page.</param>
    public static int operator -(Page a, Page b) => a.Index - b.Index;

    /// <inheritdoc />
    public bool Equals(Page other) => ReferenceEquals(map, other.map) && pfn == other.pfn;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Page p && Equals(p);

    /// <inheritdoc />
    public override int GetHashCode() => map is null ? 0 : pfn;

    /// <summary>Compares handles.</summary>
    public static bool operator ==(Page a, Page b) => a.Equals(b);

    /// <summary>Compares handles.</summary>
    public static bool operator !=(Page a, Page b) => !a.Equals(b);

    /// <summary>"page pfn:…" or "NULL".</summary>
    public override string ToString() => map is null ? (pfn == -1 ? "NOPAGE_OOM" : "NULL") : $"page pfn:{pfn:x5}";
}
