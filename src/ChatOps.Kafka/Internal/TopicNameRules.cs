namespace ChatOps.Kafka.Internal;

/// <summary>Kafka's rule for topic names, checked before a request so a bad name fails with a clear message.</summary>
internal static class TopicNameRules
{
    public const int MaxLength = 249;

    public static void Validate(string topic)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        if (topic.Length > MaxLength || topic is "." or ".." || !topic.All(IsLegal))
        {
            throw new ArgumentException(
                $"Topic name '{topic}' is not valid: use 1 to {MaxLength} characters of a-z, A-Z, 0-9, '.', '_' and '-' (not '.' or '..').",
                nameof(topic));
        }
    }

    private static bool IsLegal(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
