namespace DriverKit.Runtime;

/// <summary>
/// A flag, hook or kernel function that does not exist in the configured kernel was used — the real kernel would
/// not compile the driver. The message names the symbol and the era.
/// </summary>
public sealed class EraMismatchException : InvalidOperationException
{
    internal EraMismatchException(string message)
        : base(message)
    {
    }
}
