namespace ChatOps.Email;

/// <summary>How the SMTP connection is secured (MailKit's <c>SecureSocketOptions</c>, by name).</summary>
public enum SmtpSecurity
{
    None,
    StartTlsWhenAvailable,
    StartTls,
    SslOnConnect,
}

/// <summary><c>ChatOps:Email</c>: the SMTP server alert emails go through.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTlsWhenAvailable;

    /// <summary>The sender, e.g. <c>ChatOps &lt;chatops@example.com&gt;</c>.</summary>
    public string From { get; set; } = "chatops@localhost";

    public string? Username { get; set; }

    /// <summary>Also from the file named by <c>ChatOps:Email:Password_FILE</c>.</summary>
    public string? Password { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) yield return "ChatOps:Email:Host is required to send alert emails (e.g. smtp.example.com)";
        if (Port is < 1 or > 65535) yield return $"ChatOps:Email:Port must be 1-65535 (got {Port})";
        if (!MimeKit.MailboxAddress.TryParse(From, out _)) yield return $"ChatOps:Email:From is not an email address ('{From}')";
        if (Username is not null && Password is null) yield return "ChatOps:Email:Password is required when ChatOps:Email:Username is set";
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10)) yield return "ChatOps:Email:Timeout must be between 0 and 10 minutes";
    }
}
