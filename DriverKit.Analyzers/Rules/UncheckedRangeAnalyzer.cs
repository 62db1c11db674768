using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0014, both forms: a user-chosen offset or size that reaches what a mapping call or a fault handler maps with no check
/// that decides whether it is used (<see cref="RangeTaint"/>); and an ->mmap that refuses VM_WRITE while VM_MAYWRITE stays set.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UncheckedRangeAnalyzer : DriverKitAnalyzer
{
    /// <summary>The sinks' calls: the roots that hold one are analyzed (other mapping rules bind them too).</summary>
    private static readonly string[] CallWords = RangeTaint.CallSinks.Select(sink => sink.Api.ToString()).Distinct().ToArray();

    /// <summary>
    /// The offsets a fault handler's page or a page table's index can come from (a user-chosen size reaches those only through a
    /// call sink or a loop around one), and the VM_WRITE test: roots that spell them are analyzed when their text also holds
    /// such a sink or test (<see cref="MayHoldOtherSinks"/>), and bound only then.
    /// </summary>
    private static readonly string[] OffsetWords = { "Pgoff", "Address", "Write" };

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.UncheckedMmapRange, DiagnosticDescriptors.MayWriteLeftSet);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        var roots = engine.RootsAt(context, engine.Words.Cached(CallWords, cancellationToken));
        var seen = new HashSet<SyntaxNode>(roots.Select(root => root.Syntax));
        // A root the call sinks already found is not judged again (MayHoldOtherSinks walks its syntax).
        var more = engine.RootsAt(context, engine.Words.Cached(OffsetWords, cancellationToken), syntax => !seen.Contains(syntax) && MayHoldOtherSinks(syntax))
            .Where(root => seen.Add(root.Syntax));
        foreach (var root in roots.Concat(more))
        {
            ValueFlow? flow = null;
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation invocation when MappingCall.From(engine.Symbols, invocation) is { } call:
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        CheckCall(context, engine, flow, call);
                        break;
                    case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } store
                        when engine.Symbols.Is(target.Property, engine.Symbols.VmFaultPage):
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        Report(context, RangeTaint.Check(engine, flow, store.Value, "page", cancellationToken), store.Value.Syntax.GetLocation(), FixForms.None);
                        break;
                    case IReturnOperation { ReturnedValue: { } returned } when engine.Symbols.IsPage(returned.Type)
                        && HandlesUserOffsets(engine, operation) && engine.Model.RoleAt(operation, cancellationToken) == "vm_ops->nopage":
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        Report(context, RangeTaint.Check(engine, flow, returned, "page", cancellationToken), returned.Syntax.GetLocation(), FixForms.None);
                        break;
                    case IArrayElementReferenceOperation element when IsPageTable(engine, element) && HandlesUserOffsets(engine, element):
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        foreach (var index in element.Indices)
                        {
                            Report(context, RangeTaint.Check(engine, flow, index, "page table index", cancellationToken), index.Syntax.GetLocation(), FixForms.None);
                        }

                        break;
                    case IConditionalOperation test when IsWriteRefusal(engine, test, cancellationToken):
                        CheckMayWrite(context, engine, test);
                        break;
                }
            }
        }
    }

    private static void CheckCall(SemanticModelAnalysisContext context, DriverKitEngine engine, ValueFlow flow, MappingCall call)
    {
        var cancellationToken = context.CancellationToken;
        var findings = new List<UncheckedRange>();
        foreach (var (api, argument, what) in RangeTaint.CallSinks)
        {
            if (api == call.Api && call.Invocation.Argument(argument) is { } value)
            {
                findings.AddRange(RangeTaint.Check(engine, flow, value, what, cancellationToken));
            }
        }

        if (findings.Count == 0)
        {
            return;
        }

        var form = call.Api is KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange
            && engine.GetPolicy(context.Options, call.Invocation.Syntax.SyntaxTree).MissingApi("Kernel.VmIomapMemory") is null
            && engine.Provenance.Of(call.Memory, MemoryProvenance.Bit(MemoryKind.Mmio), cancellationToken).Count > 0
            ? FixForms.IomapMemory
            : FixForms.None;
        Report(context, findings, call.Invocation.Syntax.GetLocation(), form);
    }

    /// <summary>One diagnostic per sink: its first unchecked input (the others read the same way and have the same fix).</summary>
    private static void Report(SemanticModelAnalysisContext context, IReadOnlyList<UncheckedRange> findings, Location location, string form)
    {
        if (findings.Count == 0)
        {
            return;
        }

        var finding = findings[0];
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.UncheckedMmapRange,
            location,
            FixForms.Properties(form),
            finding.What,
            finding.Value.Syntax.ToString(),
            finding.Source,
            finding.WrappingCheck is { } check ? $" (the check '{check.Syntax}' can wrap around)" : ""));
    }

    /// <summary>
    /// Whether a root's text may hold a sink other than a mapping call, or the VM_WRITE test: an element access (a page
    /// table), a store into a <c>Page</c> member (<c>vmf.Page = …</c>), a method or lambda that may return a page (->nopage),
    /// or an <c>if</c> that spells <c>Write</c>.
    /// </summary>
    private static bool MayHoldOtherSinks(SyntaxNode root) =>
        root is MethodDeclarationSyntax { ReturnType: IdentifierNameSyntax { Identifier.ValueText: "Page" } }
        || root.DescendantNodes().Any(node => node is LambdaExpressionSyntax
            || (node is ElementAccessExpressionSyntax && TakesUserOffsets(root))
            || node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Page" } }
            || (node is IfStatementSyntax test && test.Condition.DescendantTokens().Any(token => token.ValueText == "Write")));

    /// <summary>The syntactic side of <see cref="HandlesUserOffsets"/>: a method whose parameter list spells VmArea or VmFault, or has an ioctl's three parameters.</summary>
    private static bool TakesUserOffsets(SyntaxNode root) =>
        root is BaseMethodDeclarationSyntax { ParameterList.Parameters: var parameters }
        && (parameters.Any(parameter => parameter.Type?.ToString() is "VmArea" or "VmFault" || parameter.Type?.ToString().EndsWith(".VmArea", StringComparison.Ordinal) == true
                || parameter.Type?.ToString().EndsWith(".VmFault", StringComparison.Ordinal) == true)
            || parameters.Count == 3);

    /// <summary>
    /// Whether the function is one user-chosen offsets arrive in: it takes the vma or the fault (a handler, or a helper it hands
    /// them to), or it has an ioctl's shape. Judged by the parameters, so no binding of the driver's tables is needed.
    /// </summary>
    private static bool HandlesUserOffsets(DriverKitEngine engine, IOperation operation) =>
        Functions.SymbolOf(Functions.EnclosingFunction(operation)) is { } function
        && (function.Parameters.Any(parameter => engine.Symbols.IsVmArea(parameter.Type) || engine.Symbols.IsVmFault(parameter.Type))
            || (function.Parameters.Length == 3 && function.Parameters[1].Type.SpecialType == SpecialType.System_UInt32
                && function.Parameters[2].Type.SpecialType == SpecialType.System_UInt64));

    /// <summary>An array of pages or pfns: a driver's page table, indexed by what the user chose.</summary>
    private static bool IsPageTable(DriverKitEngine engine, IArrayElementReferenceOperation element) =>
        element.Type is { } type && (engine.Symbols.IsPage(type) || (type.Name == "Pfn" && engine.Symbols.IsAddressType(type)))
        && !(element.Parent is ISimpleAssignmentOperation store && store.Target == element);

    /// <summary>An <c>if</c> in ->mmap that tests VM_WRITE and leaves the function (refuses a writable mapping).</summary>
    /// <remarks>
    /// Only the plain shape counts: a condition true exactly when VM_WRITE is asked for (<c>(vma.Flags &amp; VmFlags.Write) != 0</c>,
    /// <c>== VmFlags.Write</c>, <c>HasFlag(VmFlags.Write)</c>), a branch that always leaves, and no else. After a compound or
    /// inverted test, a branch that leaves on one path only or an else, clearing VM_MAYWRITE would take write access from
    /// mappings the driver allows, or never run.
    /// </remarks>
    private static bool IsWriteRefusal(DriverKitEngine engine, IConditionalOperation test, CancellationToken cancellationToken) =>
        test.Parent is IBlockOperation
        && test.WhenFalse is null
        && TestsWriteIsSet(engine, test.Condition)
        && Dominance.AlwaysLeaves(test.WhenTrue)
        && engine.Model.RoleAt(test, cancellationToken) == "->mmap";

    /// <summary>Whether a condition is true exactly when the vma's flags hold VM_WRITE.</summary>
    private static bool TestsWriteIsSet(DriverKitEngine engine, IOperation condition)
    {
        switch (condition.WithoutConversions())
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals or BinaryOperatorKind.Equals } comparison:
                var (masked, other) = IsWriteMask(engine, comparison.LeftOperand) ? (comparison.LeftOperand, comparison.RightOperand)
                    : IsWriteMask(engine, comparison.RightOperand) ? (comparison.RightOperand, comparison.LeftOperand)
                    : (null, null);
                return masked is not null && other.WithoutConversions() is { ConstantValue.HasValue: true } constant
                    && (comparison.OperatorKind == BinaryOperatorKind.NotEquals
                        ? IsZero(constant.ConstantValue.Value)
                        : IsWrite(constant));
            case IInvocationOperation { TargetMethod.Name: "HasFlag", Instance: { } flags } hasFlag:
                return IsVmaFlags(engine, flags) && hasFlag.Arguments.Length == 1
                    && IsWrite(hasFlag.Arguments[0].Value);
            default:
                return false;
        }
    }

    /// <summary><c>vma.Flags &amp; VmFlags.Write</c>, in either order.</summary>
    private static bool IsWriteMask(DriverKitEngine engine, IOperation operation) =>
        operation.WithoutConversions() is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and
        && ((IsVmaFlags(engine, and.LeftOperand) && IsWrite(and.RightOperand)) || (IsVmaFlags(engine, and.RightOperand) && IsWrite(and.LeftOperand)));

    /// <summary>The <c>Write</c> flag (<c>VmFlags.Write</c>).</summary>
    private static bool IsWrite(IOperation operation) => operation.WithoutConversions() is IFieldReferenceOperation { Field.Name: "Write" };

    private static bool IsVmaFlags(DriverKitEngine engine, IOperation operation) =>
        operation.WithoutConversions() is IPropertyReferenceOperation property && engine.Symbols.Is(property.Property, engine.Symbols.VmAreaFlags);

    private static bool IsZero(object? value) => value switch
    {
        int v => v == 0,
        uint v => v == 0,
        long v => v == 0,
        ulong v => v == 0,
        _ => false,
    };

    /// <summary>The VmFlags.Write reference in a condition that reads a vma's flags, or null.</summary>
    private static IFieldReferenceOperation? WriteFlag(DriverKitEngine engine, IOperation condition) =>
        condition.DescendantsAndSelf().Any(operation => operation is IPropertyReferenceOperation property && engine.Symbols.Is(property.Property, engine.Symbols.VmAreaFlags))
            ? condition.DescendantsAndSelf().OfType<IFieldReferenceOperation>().FirstOrDefault(field => field.Field.Name == "Write" && engine.Symbols.IsVmFlags(field.Field.ContainingType))
            : null;

    private static void CheckMayWrite(SemanticModelAnalysisContext context, DriverKitEngine engine, IConditionalOperation test)
    {
        var cancellationToken = context.CancellationToken;
        var function = Functions.EnclosingFunction(test);
        if (function is null || ClearsMayWrite(engine, function, cancellationToken) || WriteFlag(engine, test.Condition) is not { } write)
        {
            return;
        }

        var flags = test.Condition.DescendantsAndSelf().OfType<IPropertyReferenceOperation>().First(property => engine.Symbols.Is(property.Property, engine.Symbols.VmAreaFlags));
        var vma = flags.Instance?.Syntax.ToString() ?? "vma";
        var mayWrite = write.Syntax is MemberAccessExpressionSyntax access ? access.Expression + ".MayWrite" : "VmFlags.MayWrite";
        var policy = engine.GetPolicy(context.Options, test.Syntax.SyntaxTree);
        var kernel = KernelReceiver.In(engine.Symbols, function);

        // vm_flags_clear arrived with the 6.x vma flag helpers; before, drivers cleared the bit in vm_flags directly.
        var statement = FlagStatements.Clear(policy, vma, kernel, mayWrite);
        var properties = FixForms.Properties(FixForms.ClearMayWrite).Add(FixForms.Statement, statement);
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.MayWriteLeftSet,
            test.Condition.Syntax.GetLocation(),
            properties,
            Functions.DisplayName(function),
            statement));
    }

    /// <summary>Whether the function, or a helper it calls, mentions VM_MAYWRITE (clears it, or decides by it).</summary>
    private static bool ClearsMayWrite(DriverKitEngine engine, IOperation function, CancellationToken cancellationToken)
    {
        bool Mentions(IOperation code) => code.Descendants().Any(operation => operation is IFieldReferenceOperation field
            && field.Field.Name == "MayWrite" && engine.Symbols.IsVmFlags(field.Field.ContainingType));

        return Mentions(function) || function.Descendants().OfType<IInvocationOperation>().Any(call =>
            engine.Symbols.Classify(call.TargetMethod) == KernelApi.None && engine.Bodies.Get(call.TargetMethod, cancellationToken) is { } body && Mentions(body.Code));
    }
}
