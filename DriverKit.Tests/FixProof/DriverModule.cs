using System.Reflection;
using System.Runtime.Loader;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// A driver compiled from a test project and loaded into a collectible load context: its module entry points, found by
/// the convention every fix-proof example follows — a static <c>Init(Kernel)</c> (module_init, which registers the character
/// device) and optionally a static <c>Exit(Kernel)</c> (module_exit) on the same type, and an optional
/// <c>const int MapPages</c> there saying how many pages user space maps (one by default). DriverKit.Runtime is shared with
/// the tests, so the kernel the script boots is the one the driver calls.
/// </summary>
internal sealed class DriverModule
{
    private readonly MethodInfo init;
    private readonly MethodInfo? exit;

    private DriverModule(MethodInfo init, MethodInfo? exit, int mapPages)
    {
        this.init = init;
        this.exit = exit;
        MapPages = mapPages;
    }

    public int MapPages { get; }

    /// <summary>Compiles the project (it must build without errors) and finds the module's entry points.</summary>
    public static async Task<DriverModule> LoadAsync(Project project, string context)
    {
        var compilation = await project.GetCompilationAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("no compilation");
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        if (!emitted.Success)
        {
            throw new Xunit.Sdk.XunitException($"{context}: the driver does not compile:\n" + string.Join("\n", errors));
        }

        image.Position = 0;
        var assembly = new AssemblyLoadContext(context, isCollectible: true).LoadFromStream(image);
        var methods = assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .ToList();
        var inits = methods.Where(method => method.Name == "Init" && Takes(method, typeof(Kernel))).ToList();
        if (inits.Count != 1)
        {
            throw new Xunit.Sdk.XunitException($"{context}: a fix-proof driver needs exactly one static Init(Kernel); found {inits.Count}.");
        }

        var moduleType = inits[0].DeclaringType!;
        var exit = methods.FirstOrDefault(method => method.DeclaringType == moduleType && method.Name == "Exit" && Takes(method, typeof(Kernel)));
        var pages = moduleType.GetField("MapPages", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is { IsLiteral: true } field
            ? (int)field.GetRawConstantValue()!
            : 1;
        return new DriverModule(inits[0], exit, pages);
    }

    /// <summary>module_init.</summary>
    public void Init(Kernel kernel) => Invoke(init, kernel);

    /// <summary>module_exit, when the driver has one.</summary>
    public void Exit(Kernel kernel)
    {
        if (exit is not null)
        {
            Invoke(exit, kernel);
        }
    }

    private static bool Takes(MethodInfo method, Type parameter) =>
        method.GetParameters() is [var only] && only.ParameterType == parameter;

    /// <summary>Calls an entry point; an exception the driver code throws comes out as itself, not wrapped.</summary>
    private static void Invoke(MethodInfo method, Kernel kernel)
    {
        try
        {
            method.Invoke(null, [kernel]);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inner).Throw();
        }
    }
}
