using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification.Tests;

/// <summary>
/// TST0001: flags locals and parameters named <c>bad</c>. The names come from the <c>tst.bad_names</c> option (comma-separated),
/// read per file from .editorconfig or a global config.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BadNameAnalyzer : DiagnosticAnalyzer
{
    public const string Id = "TST0001";
    public const string OptionName = "tst.bad_names";

    public static readonly DiagnosticDescriptor Rule = new(
        Id, "Bad name", "'{0}' is not a good name", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.VariableDeclarator, SyntaxKind.Parameter);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var identifier = context.Node switch
        {
            VariableDeclaratorSyntax declarator => declarator.Identifier,
            ParameterSyntax parameter => parameter.Identifier,
            _ => default,
        };
        var options = context.Options.AnalyzerConfigOptionsProvider.GetOptions(context.Node.SyntaxTree);
        var badNames = options.TryGetValue(OptionName, out var value) ? value.Split(',', StringSplitOptions.TrimEntries) : ["bad"];
        if (badNames.Contains(identifier.ValueText))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, identifier.GetLocation(), identifier.ValueText));
        }
    }
}

/// <summary>TST0002: reports every class, but only in compilations that reference DriverKit.Runtime.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RuntimeReferenceAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        "TST0002", "Compiled against DriverKit.Runtime", "Class '{0}' is compiled against DriverKit.Runtime", "Test",
        DiagnosticSeverity.Info, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.ReferencedAssemblyNames.Any(assembly => assembly.Name == "DriverKit.Runtime"))
            {
                start.RegisterSyntaxNodeAction(ReportClass, SyntaxKind.ClassDeclaration);
            }
        });
    }

    private static void ReportClass(SyntaxNodeAnalysisContext context)
    {
        var identifier = ((ClassDeclarationSyntax)context.Node).Identifier;
        context.ReportDiagnostic(Diagnostic.Create(Rule, identifier.GetLocation(), identifier.ValueText));
    }
}

/// <summary>TST0003: throws while analyzing a class.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ThrowingAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        "TST0003", "Never reported", "Never reported", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(_ => throw new InvalidOperationException("boom from ThrowingAnalyzer"), SyntaxKind.ClassDeclaration);
    }
}

/// <summary>TST0004: reports every class with the value of the <c>DriverKitTestMode</c> build property, when it is set.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BuildPropertyAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        "TST0004", "Build property", "Mode is '{0}'", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.DriverKitTestMode", out var mode))
            {
                start.RegisterSyntaxNodeAction(
                    node => node.ReportDiagnostic(Diagnostic.Create(Rule, ((ClassDeclarationSyntax)node.Node).Identifier.GetLocation(), mode)),
                    SyntaxKind.ClassDeclaration);
            }
        });
    }
}

/// <summary>TST0005: disabled by default; reports every class.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DisabledByDefaultAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new(
        "TST0005", "Opt-in rule", "Class '{0}' seen by an opt-in rule", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: false);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            node =>
            {
                var identifier = ((ClassDeclarationSyntax)node.Node).Identifier;
                node.ReportDiagnostic(Diagnostic.Create(Rule, identifier.GetLocation(), identifier.ValueText));
            },
            SyntaxKind.ClassDeclaration);
    }
}

/// <summary>Two descriptors: TST0006 for classes whose name starts with A, TST0007 for B.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TwoDescriptorAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor ARule = new(
        "TST0006", "A class", "Class starts with A", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BRule = new(
        "TST0007", "B class", "Class starts with B", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [ARule, BRule];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            node =>
            {
                var identifier = ((ClassDeclarationSyntax)node.Node).Identifier;
                var rule = identifier.ValueText.StartsWith('A') ? ARule : identifier.ValueText.StartsWith('B') ? BRule : null;
                if (rule is not null)
                {
                    node.ReportDiagnostic(Diagnostic.Create(rule, identifier.GetLocation()));
                }
            },
            SyntaxKind.ClassDeclaration);
    }
}
