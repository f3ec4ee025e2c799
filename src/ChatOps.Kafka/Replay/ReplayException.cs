namespace ChatOps.Kafka.Replay;

/// <summary>A replay could not be done; the message says why in terms an operator can act on.</summary>
public sealed class ReplayException : Exception
{
    public ReplayException(string message)
        : base(message)
    {
    }

    public ReplayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
