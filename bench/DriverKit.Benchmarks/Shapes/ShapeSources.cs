using System.Text;

namespace DriverKit.Benchmarks.Shapes;

/// <summary>
/// The worst shapes of driver code for the analyzers' cost, each generated at any size (issue "Seed rules II"): nested blocks
/// and parentheses, thousands of if/else flag statements in one method, a thousand loops, a thousand-level conditional chain
/// inside a loop, a chain of a thousand helpers, a thousand drivers in one file, and a C port whose reservation loops use
/// cursors declared at the top (the value analysis' shape).
/// </summary>
public static class ShapeSources
{
    /// <summary>The shapes with the sizes measured (each size double the one before, so the growth factor reads as linear near 2).</summary>
    public static IReadOnlyList<(string Name, int[] Sizes)> All { get; } =
    [
        ("nested-blocks", [100, 200, 400]),
        ("nested-parentheses", [100, 200, 400]),
        ("if-else", [1250, 2500, 5000]),
        ("loops", [250, 500, 1000]),
        ("conditional-chain-in-loop", [250, 500, 1000]),
        ("helper-chain", [250, 500, 1000]),
        ("drivers", [250, 500, 1000]),
        ("c-port-cursors", [250, 500, 1000]),
    ];

    private const string Head = "using DriverKit.Runtime;\n";

    /// <summary>The source of <paramref name="shape"/> at <paramref name="size"/>.</summary>
    public static string Generate(string shape, int size)
    {
        var text = new StringBuilder(Head);
        switch (shape)
        {
            case "nested-blocks":
                text.Append("class C { void M(VmArea vma, int c) {\n");
                for (var i = 0; i < size; i++)
                {
                    text.Append("if (c > ").Append(i).Append(") {\n");
                }

                text.Append("vma.Flags |= VmFlags.Locked | VmFlags.IO;\n").Append('}', size).Append("} }\n");
                break;
            case "nested-parentheses":
                text.Append("class C { void M(VmArea vma) { vma.Flags |= ").Append('(', size).Append("VmFlags.Locked").Append(')', size)
                    .Append(" | ").Append('(', size).Append("VmFlags.IO").Append(')', size).Append("; } }\n");
                break;
            case "if-else":
                text.Append("class C { void M(VmArea vma, int c) {\n");
                for (var i = 0; i < size; i++)
                {
                    text.Append("if (c == ").Append(i).Append(") vma.Flags |= VmFlags.Locked; else vma.Flags |= VmFlags.IO;\n");
                }

                text.Append("} }\n");
                break;
            case "loops":
                text.Append("class C { void M(VmArea vma, int c) {\n");
                for (var i = 0; i < size; i++)
                {
                    text.Append("for (var i").Append(i).Append(" = 0; i").Append(i).Append(" < c; i").Append(i).Append("++) vma.Flags |= VmFlags.Locked;\n");
                }

                text.Append("vma.Flags |= VmFlags.IO; } }\n");
                break;
            case "conditional-chain-in-loop":
                text.Append("class C { void M(VmArea vma, int c) { for (var i = 0; i < c; i++) vma.Flags |= ");
                for (var i = 0; i < size; i++)
                {
                    text.Append("i == ").Append(i).Append(" ? VmFlags.Locked : ");
                }

                text.Append("VmFlags.IO; } }\n");
                break;
            case "helper-chain":
                text.Append("class C {\n");
                for (var i = 0; i < size; i++)
                {
                    text.Append("static void H").Append(i).Append("(VmArea v) { v.Flags |= VmFlags.Locked; H").Append(i + 1).Append("(v); }\n");
                }

                text.Append("static void H").Append(size).Append("(VmArea v) { v.Flags |= VmFlags.IO; }\nvoid M(VmArea vma) { H0(vma); } }\n");
                break;
            case "drivers":
                for (var i = 0; i < size; i++)
                {
                    text.Append("class D").Append(i).Append(" { Kernel k = null!; KernelAddr buf; ")
                        .Append("int Mmap(OpenFile f, VmArea vma) { vma.Flags |= VmFlags.Locked | VmFlags.IO; k.SetPageReserved(k.VirtToPage(buf)); k.LockPage(k.VirtToPage(buf)); return 0; } ")
                        .Append("void Release() { k.FreePages(buf, 0); } }\n");
                }

                break;
            case "c-port-cursors":
                text.Append("class Channel { public KernelAddr Buf; }\nclass C { Kernel kernel = null!; Channel channel = new();\n");
                for (var i = 0; i < size; i++)
                {
                    text.Append("int Create").Append(i).Append("() { Page page; int n; channel.Buf = kernel.GetFreePages(Gfp.Kernel, 1); page = kernel.VirtToPage(channel.Buf); ")
                        .Append("for (n = 0; n < 2; n++) { kernel.SetPageReserved(page); page += 1; } return 0; }\n")
                        .Append("void Destroy").Append(i).Append("() { KernelAddr copy; copy = channel.Buf; kernel.FreePages(copy, 1); }\n");
                }

                text.Append("}\n");
                break;
            default:
                throw new ArgumentException($"No shape named {shape}; the shapes are {string.Join(", ", All.Select(entry => entry.Name))}.", nameof(shape));
        }

        return text.ToString();
    }
}
