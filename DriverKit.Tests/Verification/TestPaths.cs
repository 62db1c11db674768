namespace DriverKit.Tests.Verification;

/// <summary>Virtual file-system layout of a test project: every file lives under <c>/0/</c>.</summary>
internal static class TestPaths
{
    public const string ProjectDirectory = "/0/";
    public const string PrimarySource = ProjectDirectory + "Test0.cs";
    public const string ProjectFile = ProjectDirectory + "TestProject.csproj";
    public const string EditorConfig = ProjectDirectory + ".editorconfig";
    public const string GlobalConfig = ProjectDirectory + "test.globalconfig";
    public const string BuildPropertiesConfig = ProjectDirectory + "build_properties.globalconfig";

    /// <summary>Relative names ("Helper.cs") are placed in the project directory; absolute paths are kept.</summary>
    public static string Normalize(string path) => path.StartsWith('/') ? path : ProjectDirectory + path;
}
