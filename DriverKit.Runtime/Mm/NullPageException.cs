namespace DriverKit.Runtime;

/// <summary>
/// A NULL <c>struct page *</c> (<c>default(Page)</c>, an allocation failure, <see cref="Page.NoPageOom"/>) was dereferenced.
/// In driver code the kernel turns it into an oops ("BUG: kernel NULL pointer dereference"); check <see cref="Page.IsNull"/>.
/// </summary>
public sealed class NullPageException : InvalidOperationException
{
    internal NullPageException(Page page)
        : base($"{page} struct page dereferenced: check Page.IsNull before using a page")
    {
    }
}
