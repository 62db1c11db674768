using System.Collections.Concurrent;
using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK1001: a vm_flags bit, page flag, vm_operations/file_operations hook or kernel function that the configured kernel does
/// not define, read from the runtime's availability table (<see cref="KernelAvailability"/>) — the same table that makes the
/// runtime throw EraMismatchException. VM_RESERVED stays DK0005's. Uses that a test of the configured version keeps from
/// running in that kernel are not reported (<see cref="VersionGuards"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class KernelAvailabilityAnalyzer : DriverKitAnalyzer
{
    /// <summary>The diagnostic property naming the table row (<c>VmOperations.NoPage</c>), which the code fix reads.</summary>
    public const string MemberProperty = "Member";

    /// <summary>The types whose members have rows in the table.</summary>
    private static readonly ImmutableHashSet<string> TrackedTypes =
        ImmutableHashSet.Create(StringComparer.Ordinal, "VmFlags", "PageFlags", "VmOperations", "FileOperations", "Kernel", "Process", "Advice", "MremapFlags");

    /// <summary>Per kernel version, the names of the members it lacks.</summary>
    private static readonly ConcurrentDictionary<KernelVersion, (string[] All, HashSet<string> Flags)> MissingNames = new();

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.MissingInKernel);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine)
    {
        var runtime = engine.Symbols.Kernel.ContainingAssembly;
        var found = new ConcurrentDictionary<KernelVersion, WordOccurrences>();
        context.RegisterSemanticModelAction(model => Analyze(model, engine, runtime, found));
    }

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine, IAssemblySymbol runtime, ConcurrentDictionary<KernelVersion, WordOccurrences> found)
    {
        var cancellationToken = context.CancellationToken;
        var policy = engine.GetPolicy(context.Options, context.SemanticModel.SyntaxTree);
        var names = MissingNames.GetOrAdd(policy.Version, Missing);
        if (names.All.Length == 0)
        {
            return;
        }

        var words = found.GetOrAdd(policy.Version, _ => Occurrences(engine, names, cancellationToken));
        if (!words.AnyIn(context.SemanticModel.SyntaxTree))
        {
            return;
        }

        foreach (var root in engine.RootsAt(context, words))
        {
            var reported = new HashSet<SyntaxNode>();
            foreach (var reference in NamedOperations.References(root, words, cancellationToken))
            {
                Check(context, policy, runtime, reference, reference.Member, reported);
            }

            foreach (var invocation in NamedOperations.Invocations(root, words, cancellationToken))
            {
                Check(context, policy, runtime, invocation, invocation.TargetMethod, reported);
            }
        }
    }

    private static (string[] All, HashSet<string> Flags) Missing(KernelVersion version)
    {
        var rows = KernelAvailability.All.Where(row => row.RuleId == DiagnosticIds.MissingInKernel && !row.ExistsIn(version)).ToList();
        return (rows.Select(row => row.Name).Distinct(StringComparer.Ordinal).ToArray(),
            new HashSet<string>(rows.Where(row => row.Kind is ApiKind.VmFlag or ApiKind.PageFlag).Select(row => row.Name), StringComparer.Ordinal));
    }

    /// <summary>
    /// Where the missing names are spelt. A flag's name is an ordinary word (PageFlags.Error, VmFlags.Shm), so it counts only
    /// spelt <c>…Flags.Name</c>, or in a file with a <c>using static</c>: other code naming an Error is not bound.
    /// </summary>
    private static WordOccurrences Occurrences(DriverKitEngine engine, (string[] All, HashSet<string> Flags) names, CancellationToken cancellationToken)
    {
        var all = engine.Words.Find(names.All, cancellationToken);
        return names.Flags.Count == 0 ? all : engine.Words.Where(all, (text, position) => !IsFlagWord(text, position, names.Flags) || QualifiedOrStatic(text, position), cancellationToken);
    }

    private static bool IsFlagWord(string text, int position, HashSet<string> flags)
    {
        var end = position;
        while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_'))
        {
            end++;
        }

        return flags.Contains(text.Substring(position, end - position));
    }

    private static bool QualifiedOrStatic(string text, int position)
    {
        var i = position - 1;
        while (i >= 0 && char.IsWhiteSpace(text[i]))
        {
            i--;
        }

        if (i >= 0 && text[i] == '.')
        {
            i--;
            while (i >= 0 && char.IsWhiteSpace(text[i]))
            {
                i--;
            }

            return i >= 4 && string.CompareOrdinal(text, i - 4, "Flags", 0, 5) == 0 || text.IndexOf("using static", StringComparison.Ordinal) >= 0;
        }

        return text.IndexOf("using static", StringComparison.Ordinal) >= 0;
    }

    private static void Check(SemanticModelAnalysisContext context, EraPolicy policy, IAssemblySymbol runtime, IOperation use, ISymbol member, HashSet<SyntaxNode> reported)
    {
        var type = member.ContainingType;
        if (type is null || !TrackedTypes.Contains(type.Name) || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, runtime)
            || KernelAvailability.Find(type.Name + "." + member.Name) is not { } row
            || row.RuleId != DiagnosticIds.MissingInKernel || row.ExistsIn(policy.Version)
            || use.IsInNameOf() || VersionGuards.IsInVersionTest(use) || VersionGuards.IsGuarded(use, policy))
        {
            return;
        }

        var location = member.IsStatic && use.Syntax is MemberAccessExpressionSyntax qualified ? qualified : NameOf(use.Syntax);
        if (!reported.Add(location))
        {
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.MissingInKernel,
            location.GetLocation(),
            FixForms.Properties(row.Member == "VmOperations.NoPage" && policy.HasFault ? FixForms.NoPageToFault : FixForms.None).Add(MemberProperty, row.Member),
            $"{KernelName(row, policy)} ({row.Member})",
            policy.Describe(),
            row.History,
            row.Replacement is null ? string.Empty : "; " + row.Replacement));
    }

    /// <summary>The kernel's name in the configured era where it was renamed (VM_DONTDUMP was VM_NODUMP in 3.4 – 3.6).</summary>
    private static string KernelName(ApiAvailability row, EraPolicy policy) =>
        row.Kind == ApiKind.VmFlag && Enum.TryParse<VmFlags>(row.Name, out var flag) ? policy.KernelName(flag) : row.KernelName;

    /// <summary>The member's name in the source: the <c>Name</c> of <c>x.Name(…)</c>, <c>x.Name</c> or an initializer's <c>Name = …</c>.</summary>
    private static SyntaxNode NameOf(SyntaxNode syntax) => syntax switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => access.Name,
        InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } => binding.Name,
        InvocationExpressionSyntax invocation => invocation.Expression,
        MemberAccessExpressionSyntax access => access.Name,
        _ => syntax,
    };
}
