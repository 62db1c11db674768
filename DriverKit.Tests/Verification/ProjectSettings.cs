using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Tests.Verification;

/// <summary>Everything besides the sources that shapes the test project.</summary>
internal sealed record ProjectSettings(
    LanguageVersion LanguageVersion,
    NullableContextOptions NullableContext,
    OutputKind OutputKind,
    bool ReferenceDriverKitRuntime,
    string? EditorConfig,
    string? GlobalConfig,
    ImmutableArray<KeyValuePair<string, string>> BuildProperties,
    ImmutableArray<MetadataReference> AdditionalReferences = default);
