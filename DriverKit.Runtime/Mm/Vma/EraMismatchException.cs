namespace DriverKit.Runtime;

/// <summary>
/// A flag, hook or kernel function that does not exist in the configured kernel was used — the real kernel would
/// not compile the driver. The message names the symbol and the era.
/// </summary>
public sealed class EraMismatchException : InvalidOperationException
{
    internal EraMismatchException(string message, string ruleId)
        : base(message)
    {
        RuleId = ruleId;
    }

    /// <summary>
    /// The DriverKit analyzer rule that flags the code at build time: DK0005 for VM_RESERVED (removed in 3.7), DK1001 for
    /// any other flag, hook or function the configured kernel does not have.
    /// </summary>
    public string RuleId { get; }
}
