using DriverKit.Runtime;

namespace DriverKit.Samples.Output;

/// <summary>How the picture draws each kind of frame and mapping: CSS class, colour and legend text.</summary>
internal static class FrameStyles
{
    /// <summary>Class of leaked frames (drawn over their state's colour).</summary>
    public const string LeakedClass = "leaked";

    /// <summary>Class of frames, vma pages and links where a PTE still maps a frame that was freed.</summary>
    public const string FreedWhileMappedClass = "freed-mapped";

    /// <summary>Class of the line from a vma page to the frame its PTE maps.</summary>
    public const string LinkClass = "link";

    /// <summary>Class of a link made by a special PTE (no refcount, no mapcount).</summary>
    public const string SpecialClass = "special";

    /// <summary>Every style, legend order.</summary>
    public static readonly IReadOnlyList<(string Class, string Fill, string Legend)> All =
    [
        ("free", "#eeeeee", "free (in the buddy allocator)"),
        ("boot", "#9e9e9e", "reserved at boot"),
        ("driver-owned", "#4f81bd", "driver-owned, not mapped"),
        ("user-mapped", "#2ca02c", "mapped by a user PTE"),
        ("reserved", "#ff9f1c", "PG_reserved set by its owner"),
        ("slab", "#b39ddb", "slab"),
        ("user-memory", "#9bd3ae", "anonymous / shmem"),
        (LeakedClass, "#d62728", "leaked: nobody can free it"),
    ];

    /// <summary>The CSS class of a frame state.</summary>
    public static string ClassOf(FrameState state) => state switch
    {
        FrameState.Free => "free",
        FrameState.BootReserved => "boot",
        FrameState.DriverOwned => "driver-owned",
        FrameState.UserMapped => "user-mapped",
        FrameState.Reserved => "reserved",
        FrameState.Leaked => LeakedClass,
        FrameState.Slab => "slab",
        _ => "user-memory",
    };

    /// <summary>The style sheet of the picture.</summary>
    public static string Css()
    {
        var rules = All.Select(s => $".{s.Class}{{fill:{s.Fill}}}");
        return string.Join('\n', rules) + """

            .frame{stroke:#555;stroke-width:0.5}
            .frame.driver{stroke:#000;stroke-width:1.5}
            .frame.leaked{stroke:#000;stroke-width:2}
            .frame.freed-mapped{stroke:#d62728;stroke-width:2;stroke-dasharray:3 1.5}
            .page{fill:#ffffff;stroke:#3c78d8;stroke-width:0.75}
            .page.device{stroke:#cc0000}
            .page.mapped{fill:#cfe2f3}
            .page.device.mapped{fill:#f4cccc}
            .page.freed-mapped{stroke:#d62728;stroke-width:2}
            .link{stroke:#3c78d8;stroke-width:1;stroke-opacity:0.7;fill:none}
            .link.special{stroke:#8e44ad}
            .link.freed-mapped{stroke:#d62728;stroke-width:1.5;stroke-dasharray:4 2;stroke-opacity:0.9}
            text{font-family:monospace;font-size:11px;fill:#222}
            .title{font-size:14px;font-weight:bold}
            .subtitle{font-size:12px;font-weight:bold}
            .muted{fill:#777}
            """;
    }
}
