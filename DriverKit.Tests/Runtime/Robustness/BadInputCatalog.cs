using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// The generated bad-input cases of issue 21: every public function of <see cref="Kernel"/>, <see cref="Process"/>,
/// the DMA engine, the checker, /proc, <see cref="Page"/>, <see cref="VmArea"/>, <see cref="KernelOptions"/>,
/// <see cref="KernelVersion"/> and <see cref="EraPolicy"/>, crossed with the classes of <see cref="BadInput"/> that
/// apply to its parameters. Each case runs in every era of <see cref="CaseRunner.Versions"/>.
/// </summary>
internal static partial class BadInputCatalog
{
    private const ulong P4 = Kernel.PageSize;

    /// <summary>Page-aligned, but the next page wraps around 2^64.</summary>
    private static readonly UserAddr Wrap = new(0xFFFF_FFFF_FFFF_F000);

    /// <summary>A kernel (linear map) address passed as a user address.</summary>
    private static readonly UserAddr KernelVa = new(0xFFFF_8880_0000_0000);

    /// <summary>mmap_min_addr: user space, never mapped.</summary>
    private static readonly UserAddr Hole = new(0x10000);

    /// <summary>The exceptions a misbehaving driver callback throws: a crash (NULL dereference) and three that are not.</summary>
    private static readonly (string Name, Func<Exception> Make)[] Throws =
    [
        ("NullReferenceException", () => new NullReferenceException("driver dereferenced NULL")),
        ("InvalidOperationException", () => new InvalidOperationException("driver state machine broke")),
        ("ArgumentException", () => new ArgumentException("driver passed garbage")),
        ("Exception", () => new Exception("driver failed")),
    ];

    private static readonly Lazy<IReadOnlyList<BadCase>> Cases = new(Build);

    /// <summary>Every case, in declaration order.</summary>
    public static IReadOnlyList<BadCase> All => Cases.Value;

    /// <summary>The (API, input class) groups, each one theory case.</summary>
    public static IEnumerable<(string Api, BadInput Input)> Groups => All.Select(c => (c.Api, c.Input)).Distinct();

    private static IReadOnlyList<BadCase> Build()
    {
        var list = new List<BadCase>();
        AddPageAllocator(list);
        AddSlabVmallocPhys(list);
        AddMapping(list);
        AddGupDma(list);
        AddSyscalls(list);
        AddAccess(list);
        AddHandlers(list);
        AddConfiguration(list);
        AddObjects(list);
        AddDevicesAndIo(list);
        AddUserCopiesAndPins(list);
        return list;
    }

    private static object? Void(Action a)
    {
        a();
        return null;
    }

    private static void Add(List<BadCase> list, string api, BadInput input, string variant, Func<RobustFixture, object?> call,
        Action<RobustFixture>? arrange = null, Action<RobustFixture>? hook = null, Func<RobustFixture, Process?>? victim = null,
        string? kernelChangesStateToo = null, bool mustRefuse = false, Func<string, bool>? allowedChange = null)
        => list.Add(new BadCase(api, input, variant, call)
        {
            Arrange = arrange,
            Hook = hook,
            Victim = victim ?? (f => f.P),
            KernelChangesStateToo = kernelChangesStateToo,
            AllowedChange = allowedChange,
            MustRefuse = mustRefuse,
        });

    /// <summary>The allow-list's citation for allocations that fail after reclaiming.</summary>
    private const string DirectReclaim =
        "mm/page_alloc.c __alloc_pages_slowpath: an allocation that cannot be satisfied runs direct reclaim (swap-out, LRU and young-bit aging) before it returns NULL";

    /// <summary>
    /// The differences direct reclaim makes: anonymous and shmem pages swapped out (frames, PTEs, rss, swap counts)
    /// and aging (page flags, LRU membership, accessed bits). A page the failed allocation kept is not among them.
    /// </summary>
    internal static bool ReclaimEffect(string d)
    {
        if (d.StartsWith("machine:", StringComparison.Ordinal) || d.Contains(" pte ", StringComparison.Ordinal) ||
            d.Contains("[anon]", StringComparison.Ordinal) || d.Contains("[shmem]", StringComparison.Ordinal))
        {
            return true;
        }

        if (d.StartsWith("frame ", StringComparison.Ordinal))
        {
            string[] kept = ["rc ", "mc ", "mapping ", "index ", "type ", "order ", "head ", "owner ", "data ", "ledger ", "rmap ", "allocated", "freed"];
            return !kept.Any(k => d.Contains(k, StringComparison.Ordinal));
        }

        var colon = d.IndexOf(": ", StringComparison.Ordinal);
        var changes = colon < 0 ? [] : d[(colon + 2)..].Split(", ");
        bool Only(params string[] fields) => changes.Length > 0 && changes.All(c => fields.Any(f => c.StartsWith(f, StringComparison.Ordinal)));
        return (d.Contains(" mm: ", StringComparison.Ordinal) && Only("rss=", "swap=")) ||
               ((d.Contains(" vma ", StringComparison.Ordinal) || d.Contains(" fd ", StringComparison.Ordinal)) && Only("pages=", "swap="));
    }

    /// <summary>One case per exception kind: <paramref name="callback"/> throws it (once) during <paramref name="call"/>.</summary>
    private static void Throwing(List<BadCase> list, string api, Callback callback, string trigger, Func<RobustFixture, object?> call,
        Action<RobustFixture>? arrange = null, Func<RobustFixture, Process?>? victim = null, string? kernelChangesStateToo = null, Func<string, bool>? allowedChange = null)
    {
        foreach (var (name, make) in Throws)
        {
            Add(list, api, BadInput.Throwing, $"->{callback} throws {name} during {trigger}", call, arrange,
                hook: f => f.Driver.Hooks[callback] = () => throw make(), victim: victim, kernelChangesStateToo: kernelChangesStateToo, allowedChange: allowedChange);
        }
    }

    /// <summary>
    /// A frame whose only change is a lower refcount: the per-CPU lru_add or mlock batch let its reference go when the
    /// call drained it (mm/mmap.c unmap_region → lru_add_drain, which unwinds a failed mmap). The snapshot does not
    /// list the batches' holders; the checker's INV-02 still accounts for them after every chaos step.
    /// </summary>
    internal static bool BatchReferenceDropped(string d)
    {
        var at = d.IndexOf("]: rc ", StringComparison.Ordinal);
        if (!d.StartsWith("frame ", StringComparison.Ordinal) || at < 0 || d.IndexOf(',', at) >= 0 || d.IndexOf(';', at) >= 0)
        {
            return false;
        }

        var sides = d[(at + "]: rc ".Length)..].Split('→');
        return sides.Length == 2 && int.TryParse(sides[0], out var before) && int.TryParse(sides[1], out var after) && after < before;
    }

    /// <summary>A frame line whose flags differ only in PG_referenced ("flags Referenced, Dirty→Dirty").</summary>
    internal static bool OnlyReferencedDiffers(string d)
    {
        var at = d.IndexOf(": flags ", StringComparison.Ordinal);
        if (!d.StartsWith("frame ", StringComparison.Ordinal) || at < 0 || d.IndexOf(';', at) >= 0)
        {
            return false;
        }

        var sides = d[(at + ": flags ".Length)..].Split('→');
        static string Without(string flags) => string.Join(",", flags.Split(',', StringSplitOptions.TrimEntries)
            .Where(f => f is not ("Referenced" or "None")).Order(StringComparer.Ordinal));
        return sides.Length == 2 && Without(sides[0]) == Without(sides[1]);
    }

    /// <summary>A re-entering callback: <paramref name="reenter"/> runs (once) at the entry of <paramref name="callback"/> during <paramref name="call"/>.</summary>
    private static void Reentrant(List<BadCase> list, string api, Callback callback, string what, Func<RobustFixture, object?> call,
        Action<RobustFixture> reenter, Action<RobustFixture>? arrange = null, Func<RobustFixture, Process?>? victim = null, string? kernelChangesStateToo = null)
        => Add(list, api, BadInput.Reentrant, $"->{callback} {what}", call, arrange, hook: f => f.Driver.Hooks[callback] = () => reenter(f), victim: victim,
            kernelChangesStateToo: kernelChangesStateToo);

    /// <summary>A call that returns nothing, as a case's result.</summary>
    private static object? Done(Action call)
    {
        call();
        return null;
    }

    /// <summary>A kernel function: an oops is not a task's, so a refusal must leave everything unchanged.</summary>

    private static void K(List<BadCase> list, string api, BadInput input, string variant, Func<RobustFixture, object?> call,
        Action<RobustFixture>? arrange = null, bool mustRefuse = false, string? kernelChangesStateToo = null, Func<string, bool>? allowedChange = null)
        => Add(list, api, input, variant, call, arrange, victim: _ => null, mustRefuse: mustRefuse, kernelChangesStateToo: kernelChangesStateToo, allowedChange: allowedChange);
}
