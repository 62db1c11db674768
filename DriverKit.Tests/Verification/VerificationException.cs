namespace DriverKit.Tests.Verification;

/// <summary>A failed verifier check. The message starts with the context the check ran in.</summary>
public sealed class VerificationException : Exception
{
    public VerificationException(string context, string message)
        : base($"Context: {context}\n{message}")
    {
        Context = context;
    }

    /// <summary>Where the check ran, e.g. "Diagnostics of test state" or "Fix All in project".</summary>
    public string Context { get; }
}
