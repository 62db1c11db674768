using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// A call that puts memory into a user mapping — remap_pfn_range, io_remap_pfn_range, vm_iomap_memory, vmf_insert_pfn,
/// vmf_insert_mixed, vm_insert_page, vm_map_pages, remap_vmalloc_range — with its arguments by meaning.
/// </summary>
internal sealed class MappingCall
{
    /// <summary>The runtime functions' names, for the text search that finds the code to analyze.</summary>
    public static readonly string[] Names =
    {
        "RemapPfnRange", "IoRemapPfnRange", "VmIomapMemory", "VmfInsertPfn", "VmfInsertMixed", "VmInsertPage", "VmMapPages", "VmInsertPages", "VmfInsertPfnProt", "RemapVmallocRange",
    };

    private MappingCall(IInvocationOperation invocation, KernelApi api, IOperation? memory, IOperation? size, IOperation? protection)
    {
        Invocation = invocation;
        Api = api;
        Memory = memory;
        Size = size;
        Protection = protection;
    }

    public IInvocationOperation Invocation { get; }

    public KernelApi Api { get; }

    /// <summary>The vma argument.</summary>
    public IOperation? Vma => Invocation.Argument(0);

    /// <summary>What is mapped: the pfn, the page, the pages, the physical start or the vmalloc address.</summary>
    public IOperation? Memory { get; }

    /// <summary>The length in bytes (remap_pfn_range, io_remap_pfn_range, vm_iomap_memory), else null.</summary>
    public IOperation? Size { get; }

    /// <summary>The explicit protection (remap_pfn_range, io_remap_pfn_range); null when the call uses vma.PageProt.</summary>
    public IOperation? Protection { get; }

    /// <summary>The mapping call <paramref name="invocation"/> is, or null.</summary>
    public static MappingCall? From(DriverKitSymbols symbols, IInvocationOperation invocation)
    {
        var api = symbols.Classify(invocation.TargetMethod);
        return api switch
        {
            KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange =>
                new MappingCall(invocation, api, invocation.Argument(2), invocation.Argument(3), invocation.Argument(4)),
            KernelApi.VmIomapMemory => new MappingCall(invocation, api, invocation.Argument(1), invocation.Argument(2), null),
            KernelApi.VmfInsertPfn or KernelApi.VmfInsertMixed or KernelApi.VmInsertPage =>
                new MappingCall(invocation, api, invocation.Argument(2), null, invocation.Argument("prot")),
            KernelApi.VmMapPages => new MappingCall(invocation, api, invocation.Argument("pages"), null, null),
            KernelApi.RemapVmallocRange => new MappingCall(invocation, api, invocation.Argument(1), null, null),
            _ => null,
        };
    }
}
