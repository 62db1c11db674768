using System.Reflection;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Tests of the kernel version in driver code, in the manner of CA1416's platform guards: <c>kernel.Policy.FlagExists(…)</c>,
/// <c>kernel.Policy.HasFault</c> (any bool of EraPolicy), <c>kernel.Policy.Exists("…")</c>, comparisons of
/// <c>kernel.Version</c> or <c>kernel.Policy.Era</c> with constants. A use is guarded when such a test that is false for
/// the configured kernel keeps it from running there: it sits in the test's true branch (or the false branch of a negated
/// one), after <c>&amp;&amp;</c>, or after an <c>if (test) return;</c> that is true. A version test the analyzer cannot
/// evaluate guards as well: the author has thought about the version.
/// </summary>
internal static class VersionGuards
{
    /// <summary>The value of a condition in the configured kernel.</summary>
    private enum Truth
    {
        /// <summary>The condition does not test the kernel version.</summary>
        Unrelated,

        /// <summary>True in the configured kernel.</summary>
        True,

        /// <summary>False in the configured kernel.</summary>
        False,

        /// <summary>A version test whose value the analyzer cannot compute.</summary>
        Unknown,
    }

    /// <summary>Whether a version test keeps <paramref name="use"/> from running in the configured kernel.</summary>
    /// <param name="use">The operation that names the missing symbol.</param>
    /// <param name="policy">The configured kernel.</param>
    public static bool IsGuarded(IOperation use, EraPolicy policy)
    {
        for (IOperation child = use, parent = use.Parent!; parent is not null; child = parent, parent = parent.Parent!)
        {
            switch (parent)
            {
                case IConditionalOperation conditional when child == conditional.WhenTrue && Keeps(Evaluate(conditional.Condition, policy), runsWhen: true):
                case IConditionalOperation negated when child == negated.WhenFalse && Keeps(Evaluate(negated.Condition, policy), runsWhen: false):
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } conjunction when child == conjunction.RightOperand && Keeps(Evaluate(conjunction.LeftOperand, policy), runsWhen: true):
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } disjunction when child == disjunction.RightOperand && Keeps(Evaluate(disjunction.LeftOperand, policy), runsWhen: false):
                    return true;
                case IBlockOperation block when EarlyExitBefore(block, child, policy):
                    return true;
            }
        }

        return false;
    }

    /// <summary>Whether an operation is an argument of a version test (the flag in <c>FlagExists(VmFlags.DontDump)</c> is not a use).</summary>
    /// <param name="operation">The operation naming the symbol.</param>
    public static bool IsInVersionTest(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IInvocationOperation invocation && IsPolicy(invocation.TargetMethod.ContainingType))
            {
                return true;
            }

            if (current is IBlockOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>True when a branch that runs only when the condition is <paramref name="runsWhen"/> cannot run in the configured kernel, or may not.</summary>
    private static bool Keeps(Truth truth, bool runsWhen) => truth == Truth.Unknown || truth == (runsWhen ? Truth.False : Truth.True);

    /// <summary>An <c>if (test) return;</c> (or throw, break, continue, goto) before <paramref name="statement"/> in the block whose test is true, or unknown.</summary>
    private static bool EarlyExitBefore(IBlockOperation block, IOperation statement, EraPolicy policy)
    {
        foreach (var earlier in block.Operations)
        {
            if (earlier == statement)
            {
                return false;
            }

            if (earlier is IConditionalOperation { WhenFalse: null } exit && EndsInJump(exit.WhenTrue)
                && Evaluate(exit.Condition, policy) is Truth.True or Truth.Unknown)
            {
                return true;
            }
        }

        return false;
    }

    private static bool EndsInJump(IOperation operation) => operation switch
    {
        IBlockOperation block => block.Operations.Length > 0 && EndsInJump(block.Operations[block.Operations.Length - 1]),
        IReturnOperation or IBranchOperation or IThrowOperation => true,
        IExpressionStatementOperation { Operation: IThrowOperation } => true,
        _ => false,
    };

    private static Truth Evaluate(IOperation condition, EraPolicy policy)
    {
        switch (condition)
        {
            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, policy);
            case IConversionOperation { IsImplicit: true } conversion:
                return Evaluate(conversion.Operand, policy);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } negation:
                return Evaluate(negation.Operand, policy) switch
                {
                    Truth.True => Truth.False,
                    Truth.False => Truth.True,
                    var other => other,
                };
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And } conjunction when conjunction.Type?.SpecialType == SpecialType.System_Boolean:
                return Combine(Evaluate(conjunction.LeftOperand, policy), Evaluate(conjunction.RightOperand, policy), Truth.False, Truth.True);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or } disjunction when disjunction.Type?.SpecialType == SpecialType.System_Boolean:
                return Combine(Evaluate(disjunction.LeftOperand, policy), Evaluate(disjunction.RightOperand, policy), Truth.True, Truth.False);
            case IBinaryOperation comparison:
                return Compare(comparison, policy);
            case IInvocationOperation invocation when IsPolicy(invocation.TargetMethod.ContainingType):
                return Call(invocation, policy);
            case IPropertyReferenceOperation property when IsPolicy(property.Property.ContainingType) && property.Type?.SpecialType == SpecialType.System_Boolean:
                return Property(property.Property.Name, policy);
            default:
                return MentionsVersion(condition) ? Truth.Unknown : Truth.Unrelated;
        }
    }

    /// <summary>Three-valued and/or: <paramref name="dominant"/> on either side decides; both <paramref name="neutral"/> gives it.</summary>
    private static Truth Combine(Truth left, Truth right, Truth dominant, Truth neutral)
    {
        if (left == dominant || right == dominant)
        {
            return dominant;
        }

        if (left == Truth.Unknown || right == Truth.Unknown)
        {
            return Truth.Unknown;
        }

        return left == neutral && right == neutral ? neutral : Truth.Unrelated;
    }

    private static Truth Call(IInvocationOperation invocation, EraPolicy policy)
    {
        if (invocation.Arguments.Length != 1 || invocation.Arguments[0].Value.ConstantValue is not { HasValue: true, Value: { } value })
        {
            return Truth.Unknown;
        }

        return (invocation.TargetMethod.Name, value) switch
        {
            (nameof(EraPolicy.FlagExists), ulong bits) => FlagsExist((VmFlags)bits, policy),
            (nameof(EraPolicy.FlagExists), long bits) => FlagsExist((VmFlags)bits, policy),
            (nameof(EraPolicy.Exists), string member) => policy.Exists(member) ? Truth.True : Truth.False,
            _ => Truth.Unknown,
        };
    }

    private static Truth FlagsExist(VmFlags flags, EraPolicy policy) => policy.MissingFlags(flags) == VmFlags.None ? Truth.True : Truth.False;

    /// <summary>A bool property of the era policy (HasFault, HasNoPage, …), read from the analyzer's own copy of the policy.</summary>
    private static Truth Property(string name, EraPolicy policy) =>
        typeof(EraPolicy).GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var type } property && type == typeof(bool)
            ? (bool)property.GetValue(policy)! ? Truth.True : Truth.False
            : Truth.Unknown;

    /// <summary>A comparison of the configured version or era with a constant one.</summary>
    private static Truth Compare(IBinaryOperation comparison, EraPolicy policy)
    {
        var left = VersionOf(comparison.LeftOperand, policy);
        var right = VersionOf(comparison.RightOperand, policy);
        if (left is null || right is null)
        {
            return MentionsVersion(comparison) ? Truth.Unknown : Truth.Unrelated;
        }

        var order = left.Value.Version.CompareTo(right.Value.Version);
        bool? result = comparison.OperatorKind switch
        {
            BinaryOperatorKind.Equals => order == 0,
            BinaryOperatorKind.NotEquals => order != 0,
            BinaryOperatorKind.LessThan => order < 0,
            BinaryOperatorKind.LessThanOrEqual => order <= 0,
            BinaryOperatorKind.GreaterThan => order > 0,
            BinaryOperatorKind.GreaterThanOrEqual => order >= 0,
            _ => null,
        };
        return result switch
        {
            true => Truth.True,
            false => Truth.False,
            _ => Truth.Unknown,
        };
    }

    /// <summary>
    /// The value of a version or era operand: the configured one (a property named Version or Era of a DriverKit type) or a
    /// constant (<c>KernelVersion.Of(3, 4)</c>, <c>KernelVersion.Parse("3.4")</c>, <c>Era.E4</c>); an era compares as its first version.
    /// </summary>
    private static (bool IsEra, KernelVersion Version)? VersionOf(IOperation operand, EraPolicy policy)
    {
        operand = operand is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : operand;
        switch (operand)
        {
            case IPropertyReferenceOperation { Property.Name: "Version" } property when IsRuntime(property.Property.ContainingType):
                return (false, policy.Version);
            case IPropertyReferenceOperation { Property.Name: "Era" } property when IsRuntime(property.Property.ContainingType):
                return (true, FirstOf(policy.Era));
            case IFieldReferenceOperation { Field: { HasConstantValue: true, ContainingType.Name: nameof(Era) } field } when IsRuntime(field.ContainingType):
                return field.ConstantValue is int era ? (true, FirstOf((Era)era)) : null;
            case IInvocationOperation { TargetMethod: { Name: nameof(KernelVersion.Of), ContainingType.Name: nameof(KernelVersion) } } of when IsRuntime(of.TargetMethod.ContainingType):
                return Constants(of) is { Count: >= 2 } numbers ? (false, KernelVersion.Of(numbers[0], numbers[1], numbers.Count > 2 ? numbers[2] : 0, numbers.Count > 3 ? numbers[3] : 0)) : null;
            case IInvocationOperation { TargetMethod: { Name: nameof(KernelVersion.Parse), ContainingType.Name: nameof(KernelVersion) } } parse
                when IsRuntime(parse.TargetMethod.ContainingType) && parse.Arguments.Length == 1 && parse.Arguments[0].Value.ConstantValue.Value is string text
                && KernelVersion.TryParse(text, out var parsed, out _):
                return (false, parsed);
            default:
                return null;
        }
    }

    private static KernelVersion FirstOf(Era era) => era switch
    {
        Era.E0 => KernelVersion.Oldest,
        Era.E1 => KernelVersion.Of(2, 6, 15, 1),
        Era.E2 => KernelVersion.Parse("2.6.15-rc2-git1"),
        Era.E3 => KernelVersion.Of(2, 6, 15, 3),
        Era.E4 => KernelVersion.Of(2, 6, 26),
        Era.E5 => KernelVersion.Of(3, 7),
        Era.E6 => KernelVersion.Of(6, 0),
        _ => KernelVersion.Of(7, 0),
    };

    private static List<int>? Constants(IInvocationOperation invocation)
    {
        var numbers = new List<int>();
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            if (argument.Value.ConstantValue.Value is not int number)
            {
                return null;
            }

            numbers.Add(number);
        }

        return numbers;
    }

    /// <summary>Whether the condition reads the era policy, a kernel version or an era at all.</summary>
    private static bool MentionsVersion(IOperation condition)
    {
        foreach (var operation in condition.DescendantsAndSelf())
        {
            var type = operation switch
            {
                IMemberReferenceOperation reference => reference.Member.ContainingType,
                IInvocationOperation invocation => invocation.TargetMethod.ContainingType,
                _ => null,
            };
            if (type is not null && IsRuntime(type) && (IsPolicy(type) || type.Name is nameof(KernelVersion) || operation.Type?.Name is nameof(KernelVersion) or nameof(Era)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPolicy(INamedTypeSymbol? type) => type is { Name: nameof(EraPolicy) } && IsRuntime(type);

    private static bool IsRuntime(INamedTypeSymbol type) => type.ContainingNamespace?.ToDisplayString() == "DriverKit.Runtime";
}
