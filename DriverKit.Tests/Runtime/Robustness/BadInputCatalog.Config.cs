using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>Machine configuration, version strings, era policies, and the value objects drivers hold (Page, VmArea).</summary>
internal static partial class BadInputCatalog
{
    private static void AddConfiguration(List<BadCase> list)
    {
        // new Kernel(options): every invalid option must be an ArgumentException naming it.
        foreach (var (input, name, configure, refuse) in new (BadInput, string, Action<KernelOptions>, bool)[]
        {
            (BadInput.Null, "Version null", o => o.Version = null!, true), (BadInput.Zero, "Version empty", o => o.Version = string.Empty, true),
            (BadInput.OutOfRange, "Version \"garbage\"", o => o.Version = "garbage", true), (BadInput.OutOfRange, "Version \"2.6.9\"", o => o.Version = "2.6.9", true),
            (BadInput.OutOfRange, "Version \"8.0\"", o => o.Version = "8.0", true), (BadInput.OutOfRange, "Version \"2.6\"", o => o.Version = "2.6", true),
            (BadInput.Huge, "Version \"999999.0\"", o => o.Version = "999999.0", true), (BadInput.OutOfRange, "Version \"7.0-rc0\"", o => o.Version = "7.0-rc0", true),
            (BadInput.Zero, "MemoryBytes 0", o => o.MemoryBytes = 0, true), (BadInput.Unaligned, "MemoryBytes 8 MiB + 1", o => o.MemoryBytes = (8UL << 20) + 1, true),
            (BadInput.Huge, "MemoryBytes ulong.MaxValue", o => o.MemoryBytes = ulong.MaxValue, true), (BadInput.Huge, "MemoryBytes 128 GiB", o => o.MemoryBytes = 128UL << 30, true),
            (BadInput.Zero, "KernelImageBytes 0", o => o.KernelImageBytes = 0, true), (BadInput.Huge, "KernelImageBytes ulong.MaxValue", o => o.KernelImageBytes = ulong.MaxValue, true),
            (BadInput.Wrapping, "KernelImageBytes 2^44 + 4096 (page count wraps to 1)", o => o.KernelImageBytes = (1UL << 44) + 4096, true),
            (BadInput.Huge, "KernelImageBytes all of RAM", o => o.KernelImageBytes = 8UL << 20, true),
            (BadInput.Huge, "SwapPages int.MaxValue", o => o.SwapPages = int.MaxValue, true), (BadInput.OutOfRange, "SwapPages -1", o => o.SwapPages = -1, false),
            (BadInput.Zero, "FullScanInterval 0", o => o.FullScanInterval = 0, false), (BadInput.OutOfRange, "FullScanInterval int.MinValue", o => o.FullScanInterval = int.MinValue, false),
            (BadInput.OutOfRange, "CheckerMode 99", o => o.CheckerMode = (CheckerMode)99, true), (BadInput.Huge, "DefaultMemlockLimit ulong.MaxValue", o => o.DefaultMemlockLimit = ulong.MaxValue, false),
            (BadInput.EraMissing, "WhatIfVmReservedSpecial on 7.0", o => { o.Version = "7.0"; o.WhatIfVmReservedSpecial = true; }, false),
        })
        {
            K(list, "new Kernel(KernelOptions)", input, name, f =>
            {
                var o = new KernelOptions { Version = f.Version, MemoryBytes = 8UL << 20, SwapPages = 16 };
                configure(o);
                return new Kernel(o).TotalRamPages;
            }, mustRefuse: refuse);
        }

        K(list, "new Kernel(KernelOptions)", BadInput.Null, "NULL options (the defaults)", _ => new Kernel(null).TotalRamPages);
        Add(list, "new Kernel(KernelOptions)", BadInput.Freed, "options changed after boot", f =>
        {
            f.K.Options.SwapPages = int.MaxValue;
            f.K.Options.Version = "garbage";
            return f.P.Mlock(f.AnonMap, P4);
        });

        foreach (var (input, name, text) in new (BadInput, string, string?)[]
        {
            (BadInput.Null, "null", null), (BadInput.Zero, "empty", string.Empty), (BadInput.Zero, "blank", "   "), (BadInput.OutOfRange, "\"x\"", "x"),
            (BadInput.OutOfRange, "\"2.6\"", "2.6"), (BadInput.OutOfRange, "\"1.0\"", "1.0"), (BadInput.OutOfRange, "\"8.0\"", "8.0"), (BadInput.OutOfRange, "\"2.6.9\"", "2.6.9"),
            (BadInput.OutOfRange, "\"7.0-rc0\"", "7.0-rc0"), (BadInput.OutOfRange, "\"2.6.15-rc\"", "2.6.15-rc"), (BadInput.Huge, "\"2.6.15-rc99999999999\"", "2.6.15-rc99999999999"),
            (BadInput.Huge, "\"9999999.0\"", "9999999.0"), (BadInput.Huge, "\"2.6.16.62.1\"", "2.6.16.62.1"), (BadInput.OutOfRange, "\"3.7.1.2\"", "3.7.1.2"),
            (BadInput.OutOfRange, "\"7.0\\0\"", "7.0\0"), (BadInput.OutOfRange, "\"7.-1\"", "7.-1"), (BadInput.OutOfRange, "\"٧.٠\" (Arabic-Indic digits)", "٧.٠"),
            (BadInput.Huge, "\"2.6.15-rc2-git99999999999\"", "2.6.15-rc2-git99999999999"), (BadInput.Huge, "10 000 characters", new string('7', 10_000)),
        })
        {
            K(list, "KernelVersion.Parse", input, name, _ => KernelVersion.Parse(text!), mustRefuse: true);
            K(list, "KernelVersion.TryParse", input, name, f => KernelVersion.TryParse(text, out var parsed, out var error) ? "accepted" : null);
        }

        foreach (var (input, name, make) in new (BadInput, string, Func<KernelVersion>)[]
        {
            (BadInput.Null, "default(KernelVersion)", () => default), (BadInput.OutOfRange, "Of(-1, -1, -1, -1)", () => KernelVersion.Of(-1, -1, -1, -1)),
            (BadInput.Huge, "Of(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue)", () => KernelVersion.Of(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue)),
            (BadInput.Wrapping, "Of(int.MinValue, 0)", () => KernelVersion.Of(int.MinValue, 0)),
        })
        {
            K(list, "KernelVersion", input, name + ": ToString, Era, hash, comparisons", _ =>
            {
                var v = make();
                return $"{v} {v.Era} {v.GetHashCode()} {v.CompareTo(KernelVersion.Newest)} {v.Equals(KernelVersion.Oldest)} {v.IsReleaseCandidate}";
            });
            K(list, "new EraPolicy(KernelVersion)", input, name, _ =>
            {
                var p = new EraPolicy(make());
                return $"{p.Describe()} {p.SpecialMask} {p.MissingApi("Kernel.VmInsertPage")} {p.DefaultMemlockLimit} {p.BadPageFormat}";
            });
        }

        K(list, "EraPolicy.MissingApi", BadInput.Null, "null name", f => f.K.Policy.MissingApi(null!));
        K(list, "EraPolicy.KernelName", BadInput.Zero, "no flag", f => f.K.Policy.KernelName(VmFlags.None));
        K(list, "EraPolicy.KernelName", BadInput.OutOfRange, "every bit", f => f.K.Policy.KernelName((VmFlags)ulong.MaxValue));
        K(list, "EraPolicy.FlagHistory", BadInput.OutOfRange, "every bit", _ => EraPolicy.FlagHistory((VmFlags)ulong.MaxValue));
        K(list, "EraPolicy.FlagHistory", BadInput.Zero, "no flag", _ => EraPolicy.FlagHistory(VmFlags.None));
        K(list, "EraPolicy.FlagExists", BadInput.OutOfRange, "every bit", f => f.K.Policy.FlagExists((VmFlags)ulong.MaxValue));
        K(list, "EraPolicy.MissingFlags", BadInput.OutOfRange, "every bit", f => f.K.Policy.MissingFlags((VmFlags)ulong.MaxValue));
        K(list, "EraPolicy.PcpBatch", BadInput.OutOfRange, "-1 managed pages", f => f.K.Policy.PcpBatch(-1));
        K(list, "EraPolicy.PcpBatch", BadInput.Huge, "int.MaxValue managed pages", f => f.K.Policy.PcpBatch(int.MaxValue));
        K(list, "EraPolicy.PcpHigh", BadInput.OutOfRange, "int.MinValue pages, batch 0", f => f.K.Policy.PcpHigh(int.MinValue, 0));
        K(list, "EraPolicy.PcpHigh", BadInput.Huge, "int.MaxValue pages and batch", f => f.K.Policy.PcpHigh(int.MaxValue, int.MaxValue));
        K(list, "Errno.Name", BadInput.OutOfRange, "errno -1 and int.MinValue", _ => Errno.Name(-1) + Errno.Name(int.MinValue));
        K(list, "SiCode.Name", BadInput.OutOfRange, "an unknown signal and code", _ => SiCode.Name((Signal)99, int.MinValue));
    }

    private static void AddObjects(List<BadCase> list)
    {
        // struct page handles: NULL and NOPAGE_OOM must be reported as such, never as a NullReferenceException.
        foreach (var (input, name, page) in new (BadInput, string, Func<RobustFixture, Page>)[]
        {
            (BadInput.Null, "default(Page)", _ => default), (BadInput.Null, "NOPAGE_OOM", _ => Page.NoPageOom), (BadInput.Freed, "a freed page", f => f.Freed),
        })
        {
            foreach (var (member, read) in new (string, Func<Page, object>)[]
            {
                ("Refcount", p => p.Refcount), ("Mapcount", p => p.Mapcount), ("Flags", p => p.Flags), ("Type", p => p.Type), ("Pfn", p => p.Pfn),
                ("IsCompound", p => p.IsCompound), ("IsTail", p => p.IsTail), ("IsAnon", p => p.IsAnon), ("+ 1", p => p + 1), ("- page", p => p - p),
            })
            {
                K(list, "Page." + member, input, name, f => read(page(f)));
            }
        }

        K(list, "Page.+", BadInput.Huge, "+ int.MaxValue", f => f.Alloc0 + int.MaxValue);
        K(list, "Page.+", BadInput.Wrapping, "+ int.MinValue", f => f.Alloc0 + int.MinValue);
        K(list, "Page.-", BadInput.Foreign, "pages of two machines", f => f.Alloc0 - f.Other.Value.Alloc0);

        // vm_area_struct fields a driver writes.
        K(list, "VmArea.Flags", BadInput.Freed, "set on an unmapped vma", f => Void(() => f.DeadVma.Flags |= VmFlags.DontExpand));
        K(list, "VmArea.Flags", BadInput.OutOfRange, "every bit on a live vma", f => Void(() => f.FaultVma.Flags = (VmFlags)ulong.MaxValue));
        Add(list, "VmArea.Ops", BadInput.Null, "NULL ops on a live vma, then a fault", f => f.P.Touch(f.FaultMap + 2 * P4), arrange: f => f.FaultVma.Ops = null);
        K(list, "VmArea.Ops", BadInput.EraMissing, "->nopage, ->fault and ->may_split together", f => Void(() => f.FaultVma.Ops = new VmOperations
        {
            NoPage = (_, _) => default,
            Fault = _ => VmFaultResult.Sigbus,
            MaySplit = (_, _) => 0,
        }));
        K(list, "VmArea.Ops", BadInput.Freed, "set on an unmapped vma", f => Void(() => f.DeadVma.Ops = f.Driver.FaultOps));
        Add(list, "VmArea.Pgoff", BadInput.Huge, "ulong.MaxValue on a live vma, then a fault", f => f.P.Touch(f.FaultMap + 3 * P4), arrange: f => f.FaultVma.Pgoff = ulong.MaxValue);
        Add(list, "VmArea.Pgoff", BadInput.Wrapping, "ulong.MaxValue - 1 on a live vma, then mremap growth", f => f.P.Mremap(f.AnonMap, 4 * P4, 8 * P4, MremapFlags.MayMove),
            arrange: f => f.AnonVma.Pgoff = ulong.MaxValue - 1);
        K(list, "VmArea.PrivateData", BadInput.Freed, "set on an unmapped vma", f => Void(() => f.DeadVma.PrivateData = f));
        Add(list, "VmArea.PageProt", BadInput.OutOfRange, "an undefined cache mode, then a fault", f => f.P.Touch(f.FaultMap + 2 * P4),
            arrange: f => f.FaultVma.PageProt = f.FaultVma.PageProt with { Cache = (CacheMode)99 });
        K(list, "Process.CapIpcLock", BadInput.Exited, "set on an exited process", f => Void(() => f.Dead.CapIpcLock = true));
    }
}
