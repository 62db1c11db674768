using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The DriverKit.Runtime symbols the rules need, resolved once per runtime assembly (compilations that reference the same one share them). <see cref="TryCreate"/> returns null when
/// the compilation does not reference DriverKit.Runtime, and the analyzers then register nothing.
/// </summary>
internal sealed class DriverKitSymbols
{
    private static readonly ImmutableDictionary<string, KernelApi> KernelMethods = new Dictionary<string, KernelApi>
    {
        ["VmFlagsSet"] = KernelApi.VmFlagsSet,
        ["VmFlagsClear"] = KernelApi.VmFlagsClear,
        ["RemapPfnRange"] = KernelApi.RemapPfnRange,
        ["IoRemapPfnRange"] = KernelApi.IoRemapPfnRange,
        ["VmIomapMemory"] = KernelApi.VmIomapMemory,
        ["RemapVmallocRange"] = KernelApi.RemapVmallocRange,
        ["VmInsertPage"] = KernelApi.VmInsertPage,
        ["VmMapPages"] = KernelApi.VmMapPages,
        ["VmInsertPages"] = KernelApi.VmMapPages, // vm_insert_pages: vm_map_pages' page list, from a given address
        ["VmfInsertPfnProt"] = KernelApi.VmfInsertPfn, // vmf_insert_pfn with the driver's own pgprot
        ["SetPageReserved"] = KernelApi.SetPageReserved,
        ["ClearPageReserved"] = KernelApi.ClearPageReserved,
        ["FreePages"] = KernelApi.FreePages,
        ["FreePage"] = KernelApi.FreePage,
        ["Kfree"] = KernelApi.Kfree,
        ["Vfree"] = KernelApi.Vfree,
        ["VirtToPage"] = KernelApi.VirtToPage,
        ["VmallocToPage"] = KernelApi.VmallocToPage,
        ["PfnToPage"] = KernelApi.PfnToPage,
        ["LockPage"] = KernelApi.LockPage,
        ["TrylockPage"] = KernelApi.TrylockPage,
        ["UnlockPage"] = KernelApi.UnlockPage,
        ["SetPageLocked"] = KernelApi.SetPageLocked,
        ["GetPage"] = KernelApi.GetPage,
        ["PutPage"] = KernelApi.PutPage,
        ["GetUserPages"] = KernelApi.GetUserPages,
        ["PinUserPages"] = KernelApi.PinUserPages,
        ["UnpinUserPages"] = KernelApi.UnpinUserPages,
        ["VmfInsertPfn"] = KernelApi.VmfInsertPfn,
        ["VmfInsertMixed"] = KernelApi.VmfInsertMixed,
        ["SplitPage"] = KernelApi.SplitPage,
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>The runtime functions whose result is memory of their own (an allocation) or a view of their argument's memory.</summary>
    private static readonly ImmutableDictionary<string, ValueRole> ValueRoles = new Dictionary<string, ValueRole>
    {
        ["AllocPage"] = ValueRole.Allocation,
        ["AllocPages"] = ValueRole.Allocation,
        ["GetFreePages"] = ValueRole.Allocation,
        ["GetZeroedPage"] = ValueRole.Allocation,
        ["Kmalloc"] = ValueRole.Allocation,
        ["Kzalloc"] = ValueRole.Allocation,
        ["Vmalloc"] = ValueRole.Allocation,
        ["VmallocUser"] = ValueRole.Allocation,
        ["Vzalloc"] = ValueRole.Allocation,
        ["DmaAllocCoherent"] = ValueRole.Allocation,
        ["PciAllocConsistent"] = ValueRole.Allocation,
        ["Kvmalloc"] = ValueRole.Allocation,
        ["Vmalloc32"] = ValueRole.Allocation,
        ["Vmalloc32User"] = ValueRole.Allocation,
        ["VirtToPage"] = ValueRole.Conversion,
        ["VmallocToPage"] = ValueRole.Conversion,
        ["VirtToPhys"] = ValueRole.Conversion,
        ["PageToPfn"] = ValueRole.Conversion,
        ["PageToPhys"] = ValueRole.Conversion,
        ["PageAddress"] = ValueRole.Conversion,
        ["PhysToVirt"] = ValueRole.Conversion,
        ["VmallocToPfn"] = ValueRole.Conversion,
        ["PfnToPage"] = ValueRole.DeviceConversion,
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>The runtime's address and page types, whose members and operators are views of the same memory.</summary>
    private static readonly string[] AddressTypeNames = { "Page", "Pfn", "PhysAddr", "KernelAddr", "VmallocAddr", "UserAddr" };

    private DriverKitSymbols(IAssemblySymbol runtime, INamedTypeSymbol kernel, INamedTypeSymbol vmArea, INamedTypeSymbol vmFlags)
    {
        Kernel = kernel;
        VmArea = vmArea;
        VmFlags = vmFlags;
        Page = runtime.GetTypeByMetadataName("DriverKit.Runtime.Page");
        VmFault = runtime.GetTypeByMetadataName("DriverKit.Runtime.VmFault");
        VmOperations = runtime.GetTypeByMetadataName("DriverKit.Runtime.VmOperations");
        FileOperations = runtime.GetTypeByMetadataName("DriverKit.Runtime.FileOperations");
        DmaEngine = runtime.GetTypeByMetadataName("DriverKit.Runtime.DmaEngine");
        VmAreaFlags = Property(vmArea, "Flags");
        VmAreaOps = Property(vmArea, "Ops");
        VmAreaPageProt = Property(vmArea, "PageProt");
        VmFaultPage = Property(VmFault, "Page");
        VmFaultVma = Property(VmFault, "Vma");
        VmOperationsFault = Property(VmOperations, "Fault");
        VmOperationsNoPage = Property(VmOperations, "NoPage");
        FileOperationsMmap = Property(FileOperations, "Mmap");
        PageNoPageOom = Page?.GetMembers("NoPageOom").OfType<IFieldSymbol>().FirstOrDefault();
        PageShift = Constant(kernel, "PageShift") ?? 12;
        PageSize = Constant(kernel, "PageSize") ?? 1UL << (int)PageShift;
        GfpComp = Constant(runtime.GetTypeByMetadataName("DriverKit.Runtime.Gfp"), "Comp");
        WriteBackCache = Constant(runtime.GetTypeByMetadataName("DriverKit.Runtime.CacheMode"), "WriteBack");
        AddressTypes = AddressTypeNames
            .Select(name => runtime.GetTypeByMetadataName("DriverKit.Runtime." + name))
            .OfType<INamedTypeSymbol>()
            .ToImmutableHashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
    }

    /// <summary>Page, Pfn, PhysAddr, KernelAddr, VmallocAddr, UserAddr.</summary>
    public ImmutableHashSet<INamedTypeSymbol> AddressTypes { get; }

    public INamedTypeSymbol Kernel { get; }

    public INamedTypeSymbol VmArea { get; }

    public INamedTypeSymbol VmFlags { get; }

    public INamedTypeSymbol? Page { get; }

    public INamedTypeSymbol? VmFault { get; }

    public INamedTypeSymbol? VmOperations { get; }

    public INamedTypeSymbol? FileOperations { get; }

    public INamedTypeSymbol? DmaEngine { get; }

    public IPropertySymbol? VmAreaFlags { get; }

    public IPropertySymbol? VmAreaOps { get; }

    public IPropertySymbol? VmAreaPageProt { get; }

    public IPropertySymbol? VmFaultPage { get; }

    public IPropertySymbol? VmFaultVma { get; }

    public IPropertySymbol? VmOperationsFault { get; }

    public IPropertySymbol? VmOperationsNoPage { get; }

    public IPropertySymbol? FileOperationsMmap { get; }

    public IFieldSymbol? PageNoPageOom { get; }

    /// <summary>Kernel.PageShift, read from the referenced runtime.</summary>
    public ulong PageShift { get; }

    /// <summary>Kernel.PageSize.</summary>
    public ulong PageSize { get; }

    /// <summary>Gfp.Comp's bit, or null when the runtime has none.</summary>
    public ulong? GfpComp { get; }

    /// <summary>CacheMode.WriteBack's value.</summary>
    public ulong? WriteBackCache { get; }

    /// <summary>The symbols, or null when DriverKit.Runtime (its Kernel, VmArea and VmFlags types) is not referenced.</summary>
    public static DriverKitSymbols? TryCreate(Compilation compilation)
    {
        if (KernelType(compilation) is not { } kernel)
        {
            return null;
        }

        // An IDE makes a compilation per edit, and each shares its referenced assemblies' symbols with the last: the runtime's
        // symbols are resolved once per runtime assembly rather than once per compilation.
        return ByRuntime.GetValue(kernel.ContainingAssembly, _ => new StrongBox<DriverKitSymbols?>(Create(kernel))).Value;
    }

    private static readonly ConditionalWeakTable<IAssemblySymbol, StrongBox<DriverKitSymbols?>> ByRuntime = new();

    private static DriverKitSymbols? Create(INamedTypeSymbol kernel)
    {
        var runtime = kernel.ContainingAssembly;
        var vmArea = runtime.GetTypeByMetadataName("DriverKit.Runtime.VmArea");
        var vmFlags = runtime.GetTypeByMetadataName("DriverKit.Runtime.VmFlags");
        return vmArea is null || vmFlags is null || vmFlags.TypeKind != TypeKind.Enum
            ? null
            : new DriverKitSymbols(runtime, kernel, vmArea, vmFlags);
    }

    /// <summary>
    /// DriverKit.Runtime's Kernel: in the reference named DriverKit.Runtime, else wherever the compilation finds it (its own
    /// sources, or a reference by another name). The named reference is read first because a look-up by metadata name searches
    /// the compilation's own namespaces and every reference (a couple of hundred assemblies in a .NET project), and the other
    /// types are then looked up in the runtime's assembly alone.
    /// </summary>
    private static INamedTypeSymbol? KernelType(Compilation compilation)
    {
        const string KernelName = "DriverKit.Runtime.Kernel";
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (assembly.Identity.Name == "DriverKit.Runtime" && assembly.GetTypeByMetadataName(KernelName) is { DeclaredAccessibility: Accessibility.Public } kernel)
            {
                return kernel;
            }
        }

        return compilation.GetTypeByMetadataName(KernelName);
    }

    /// <summary>Which runtime function <paramref name="method"/> is, or <see cref="KernelApi.None"/>.</summary>
    public KernelApi Classify(IMethodSymbol? method)
    {
        if (method is null)
        {
            return KernelApi.None;
        }

        var type = method.ContainingType;
        if (SymbolEqualityComparer.Default.Equals(type, Kernel))
        {
            return KernelMethods.TryGetValue(method.Name, out var api) ? api : KernelApi.None;
        }

        return DmaEngine is not null && SymbolEqualityComparer.Default.Equals(type, DmaEngine) && method.Name == "Submit"
            ? KernelApi.DmaSubmit
            : KernelApi.None;
    }

    /// <summary>What a call of a runtime function means for the memory its result denotes (<see cref="ValueRole.None"/> for the others).</summary>
    public ValueRole RoleOf(IMethodSymbol? method) =>
        method is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, Kernel) && ValueRoles.TryGetValue(method.Name, out var role)
            ? role
            : ValueRole.None;

    /// <summary>Whether <paramref name="symbol"/> is declared by DriverKit.Runtime.</summary>
    public bool IsRuntime(ISymbol symbol) => SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, Kernel.ContainingAssembly);

    /// <summary>Whether <paramref name="type"/> is one of the runtime's address or page types.</summary>
    public bool IsAddressType(ITypeSymbol? type) => type is INamedTypeSymbol named && AddressTypes.Contains(named.OriginalDefinition);

    public bool IsVmArea(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, VmArea);

    public bool IsVmFlags(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, VmFlags);

    public bool IsPage(ITypeSymbol? type) => Page is not null && SymbolEqualityComparer.Default.Equals(type, Page);

    public bool IsVmFault(ITypeSymbol? type) => VmFault is not null && SymbolEqualityComparer.Default.Equals(type, VmFault);

    public bool IsVmOperations(ITypeSymbol? type) => VmOperations is not null && SymbolEqualityComparer.Default.Equals(type, VmOperations);

    public bool Is(IPropertySymbol? property, IPropertySymbol? expected) =>
        property is not null && expected is not null && SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, expected);

    private static ulong? Constant(INamedTypeSymbol? type, string name) =>
        type?.GetMembers(name).OfType<IFieldSymbol>().FirstOrDefault() is { HasConstantValue: true, ConstantValue: { } value }
            ? Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static IPropertySymbol? Property(INamedTypeSymbol? type, string name) =>
        type?.GetMembers(name).OfType<IPropertySymbol>().FirstOrDefault();
}
