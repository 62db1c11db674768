using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DriverKit.Runtime;
using DriverKit.Tests.Analyzers;
using DriverKit.Tests.Verification;

namespace DriverKit.Tests.Runtime;

/// <summary>
/// The public surface of DriverKit.Runtime is the driver's API and the test's API; simulator internals are internal
/// (tests and benchmarks reach them through InternalsVisibleTo). DriverKit.Runtime/PublicAPI.txt lists the surface, so
/// every change to it shows up in review.
/// </summary>
public sealed partial class PublicApiTests
{
    private const string UpdateVariable = "DRIVERKIT_UPDATE_PUBLIC_API";

    private static readonly Assembly Runtime = typeof(Kernel).Assembly;

    private static string ListingPath => Path.Combine(RepositoryRoot.Path, "DriverKit.Runtime", "PublicAPI.txt");

    [Fact]
    public void The_public_surface_is_the_checked_in_listing()
    {
        var actual = PublicApiListing.Text(Runtime);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(ListingPath, actual);
            return;
        }

        var expected = File.Exists(ListingPath) ? File.ReadAllText(ListingPath).ReplaceLineEndings("\n") : "";
        if (expected != actual)
        {
            Assert.Fail(
                "The public API of DriverKit.Runtime is not the one DriverKit.Runtime/PublicAPI.txt lists "
                + "(- listed, + built):\n" + TextDiff.Unified(expected, actual) + "\n"
                + "Public means a driver or a test in another assembly may call it: keep simulator internals internal. "
                + "If the change is intended, regenerate the listing and commit it with the change:\n"
                + $"    {UpdateVariable}=1 dotnet test DriverKit.Tests --filter FullyQualifiedName~PublicApiTests");
        }
    }

    [Fact]
    public void Every_public_type_and_member_has_an_xml_doc()
    {
        var path = Path.ChangeExtension(Runtime.Location, ".xml");
        Assert.True(File.Exists(path), $"{path} is missing: DriverKit.Runtime must build with GenerateDocumentationFile (Directory.Build.props).");
        var documented = XDocument.Load(path).Root!.Element("members")!.Elements("member")
            .Where(member => member.Element("inheritdoc") is not null || member.Element("summary") is { } summary && HasText(summary))
            .Select(member => (string)member.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);

        var undocumented = PublicApiListing.Entries(Runtime)
            .Where(entry => !documented.Contains(entry.DocId))
            .Select(entry => $"{entry.DocId}    ({entry.Line})")
            .ToList();

        Assert.True(undocumented.Count == 0, "Public API without a <summary> (a record's positional property needs a <param> on the record):\n"
            + string.Join("\n", undocumented));
    }

    [Fact]
    public void A_kernel_function_names_the_kernel_symbol_it_models()
    {
        var documentation = XDocument.Load(Path.ChangeExtension(Runtime.Location, ".xml")).Root!.Element("members")!.Elements("member")
            .ToDictionary(member => (string)member.Attribute("name")!, member => member.Element("summary")?.Value ?? "", StringComparer.Ordinal);
        var unnamed = PublicApiListing.Entries(Runtime)
            .Where(entry => entry.DeclaringType == typeof(Kernel) && entry.Member is MethodInfo && !NotKernelFunctions.Contains(entry.Member.Name))
            .Where(entry => !NamesSymbol(documentation.GetValueOrDefault(entry.DocId, ""), entry.Member.Name))
            .Select(entry => $"{entry.Line}\n    expected the summary to name {SnakeCase(entry.Member.Name)} or {entry.Member.Name}")
            .ToList();

        Assert.True(unnamed.Count == 0, "Kernel methods are the kernel functions drivers call, one-to-one with the kernel's names: "
            + "the summary names the function (\"mm/memory.c: vm_insert_page — …\"). A method that is the simulator's own belongs in "
            + $"{nameof(NotKernelFunctions)}.\n" + string.Join("\n", unnamed));
    }

    [Fact]
    public void Simulator_internals_and_escape_hatches_are_not_public()
    {
        // Writes to these bypass the era checks and the checker's shadow state (INV-04, INV-26).
        foreach (var name in new[] { "RawFlags", "RawPgoff", "RawOps" })
        {
            var property = typeof(VmArea).GetProperty(name, BindingFlags.Instance | BindingFlags.NonPublic);
            Assert.NotNull(property);
            Assert.True(property.GetMethod!.IsAssembly && property.SetMethod!.IsAssembly, $"VmArea.{name} must stay internal.");
        }

        var listing = PublicApiListing.Entries(Runtime).Select(entry => entry.Line).ToList();
        Assert.DoesNotContain(listing, line => Regex.IsMatch(line, @"\.(Raw|Unchecked)\w*\b", RegexOptions.CultureInvariant));
        foreach (var type in new[] { "MemMap", "BuddyAllocator", "RefLedger", "HolderKind", "PteInstaller", "KPageFlags", "PageTable", "RmapTable", "LruLists" })
        {
            Assert.False(Runtime.GetType("DriverKit.Runtime." + type, throwOnError: true)!.IsPublic, type + " is simulator machinery.");
        }
    }

    [Fact]
    public void The_listing_spells_signatures_as_csharp_does()
    {
        var listing = PublicApiListing.Text(Runtime).Split('\n');

        Assert.Contains("public sealed class DriverKit.Runtime.Kernel", listing);
        Assert.Contains("[Flags] public enum DriverKit.Runtime.VmFlags : ulong", listing);
        Assert.Contains("DriverKit.Runtime.VmFlags.IO = 0x4000", listing);
        Assert.Contains("public const ulong DriverKit.Runtime.Kernel.PageSize = 4096", listing);
        Assert.Contains("public VmFlags DriverKit.Runtime.VmArea.Flags { get; set; }", listing);
        Assert.Contains("public string? DriverKit.Runtime.Report.RuleId { get; }", listing);
        Assert.Contains("public DriverKit.Runtime.Kernel.Kernel(KernelOptions? options = null)", listing);
        Assert.Contains(
            "public int DriverKit.Runtime.Kernel.VmInsertPage(VmArea vma, UserAddr addr, Page page, [CallerMemberName] string caller = \"\", "
            + "[CallerFilePath] string file = \"\", [CallerLineNumber] int line = 0)", listing);
        Assert.Contains("public static (bool Present, Pfn Pfn, bool Swapped) DriverKit.Runtime.Proc.Pagemap(Process process, UserAddr addr)", listing);
        Assert.Contains("public SysResult<UserAddr> DriverKit.Runtime.Process.Mremap(UserAddr oldAddr, ulong oldLength, ulong newLength, "
            + "MremapFlags flags = MremapFlags.None, UserAddr newAddr = default)", listing);
        Assert.Contains("public delegate int DriverKit.Runtime.FileMmapHandler(OpenFile file, VmArea vma)", listing);
        Assert.Contains("public readonly record struct DriverKit.Runtime.Pfn : IComparable<Pfn>", listing);
        Assert.Contains("public static bool DriverKit.Runtime.Pfn.operator <(Pfn a, Pfn b)", listing);
        Assert.Contains("protected DriverKit.Runtime.MmioDevice.MmioDevice()", listing);
        Assert.DoesNotContain(listing, line => line.Contains("<Clone>$", StringComparison.Ordinal) || line.Contains("EqualityContract", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_kernel_function_has_an_availability_row()
    {
        var missing = typeof(Kernel).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(method => !method.IsSpecialName)
            .Select(method => method.Name)
            .Distinct()
            .Where(name => !NotKernelFunctions.Contains(name) && !CNames.ContainsKey(name) && !FirstKernelUnverified.Contains(name))
            .Where(name => KernelAvailability.Find("Kernel." + name) is null)
            .ToList();
        Assert.True(missing.Count == 0, "Add a row to KernelAvailability for: " + string.Join(", ", missing));
        Assert.All(FirstKernelUnverified, name => Assert.Null(KernelAvailability.Find("Kernel." + name)));
    }

    /// <summary>
    /// Kernel functions whose first kernel is not established yet: split_page (2.6.16?), zap_vma_ptes (2.6.19?),
    /// io_remap_pfn_range (2.6.12?, io_remap_page_range before), pgprot_writecombine (x86 2.6.26?), trylock_page (2.6.27,
    /// TestSetPageLocked before), __SetPageLocked, drain_all_pages. Without a row they are taken to exist everywhere.
    /// </summary>
    private static readonly HashSet<string> FirstKernelUnverified = new(StringComparer.Ordinal)
    {
        nameof(Kernel.SplitPage),
        nameof(Kernel.ZapVmaPtes),
        nameof(Kernel.IoRemapPfnRange),
        nameof(Kernel.PgprotWritecombine),
        nameof(Kernel.TrylockPage),
        nameof(Kernel.SetPageLocked),
        nameof(Kernel.DrainAllPages),
    };

    /// <summary>Kernel methods that are the simulator's, not a kernel function's (test API: boot, observe, stress, shut down).</summary>
    private static readonly HashSet<string> NotKernelFunctions = new(StringComparer.Ordinal)
    {
        nameof(Kernel.ClearReports),
        nameof(Kernel.PageTypes),
        nameof(Kernel.PageTypesSummary),
        nameof(Kernel.Reclaim),
        nameof(Kernel.RegisterDevice),
        nameof(Kernel.RegisterMmioRegion),
        nameof(Kernel.RegisterPciDevice),
        nameof(Kernel.Shutdown),
        nameof(Kernel.Spawn),
        nameof(Kernel.VmStat),
    };

    /// <summary>The memcpy helpers, named by what they do in C.</summary>
    private static readonly Dictionary<string, string> CNames = new(StringComparer.Ordinal)
    {
        [nameof(Kernel.ReadKernel)] = "memcpy",
        [nameof(Kernel.WriteKernel)] = "memcpy",
        [nameof(Kernel.ReadVmalloc)] = "memcpy",
        [nameof(Kernel.WriteVmalloc)] = "memcpy",
        [nameof(Kernel.UnloadModule)] = "delete_module",
    };

    private static bool NamesSymbol(string summary, string method)
    {
        var symbol = KernelAvailability.Find("Kernel." + method)?.KernelName ?? CNames.GetValueOrDefault(method) ?? SnakeCase(method);
        return Regex.IsMatch(summary, $@"(?<![A-Za-z0-9])(__)?({Regex.Escape(symbol)}|{Regex.Escape(method)})(?![A-Za-z0-9])", RegexOptions.CultureInvariant);
    }

    /// <summary>AllocPages → alloc_pages, VmfInsertPfn → vmf_insert_pfn.</summary>
    private static string SnakeCase(string name) => Words().Replace(name, "_$1").ToLowerInvariant();

    private static bool HasText(XElement element) => element.Value.Trim().Length > 0 || element.HasElements;

    [GeneratedRegex("(?<=[a-z0-9])([A-Z])", RegexOptions.CultureInvariant)]
    private static partial Regex Words();
}
