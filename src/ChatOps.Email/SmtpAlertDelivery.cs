using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ChatOps.Core.Ports;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ChatOps.Email;

/// <summary>
/// Alert emails over SMTP (MailKit), fed from the outbox. An SMTP 5xx answer or a bad address is
/// final; a 4xx answer, a network or TLS problem, a timeout or a failed login is retried by the
/// outbox with backoff. The Message-ID is derived from the outbox key, so a retry after an
/// uncertain send is recognisable as the same message by the receiving side.
/// </summary>
public sealed class SmtpAlertDelivery(IOptions<SmtpOptions> options) : IAlertDelivery
{
    public const string PlatformName = "email";

    private readonly SmtpOptions _options = options.Value;

    public string Platform => PlatformName;

    public async Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        MimeMessage mail;
        try
        {
            mail = Compose(message);
        }
        catch (ParseException ex)
        {
            return DeliveryResult.Rejected($"bad address '{message.Destination}': {ex.Message}");
        }

        if (_options.Host is not { Length: > 0 } host) return DeliveryResult.Retry("ChatOps:Email:Host is not set");
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(host, _options.Port, Secure(_options.Security), cancellationToken);
            if (_options.Username is { } user) await client.AuthenticateAsync(user, _options.Password ?? "", cancellationToken);
            await client.SendAsync(mail, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return DeliveryResult.Delivered;
        }
        catch (SmtpCommandException ex)
        {
            var error = $"SMTP {(int)ex.StatusCode} {ex.Message}";
            return (int)ex.StatusCode >= 500 ? DeliveryResult.Rejected(error) : DeliveryResult.Retry(error);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or AuthenticationException or SslHandshakeException
            or ServiceNotConnectedException or IOException or SocketException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return DeliveryResult.Retry($"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private MimeMessage Compose(OutboxMessage message)
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(_options.From));
        mail.To.Add(MailboxAddress.Parse(message.Destination));
        mail.Subject = message.Title;
        mail.MessageId = $"{Hash($"{message.Key.Subject}|{message.Key.Route}|{message.Key.Event}")}@chatops";
        mail.Headers.Add("X-ChatOps-Alert", message.Key.Subject);
        mail.Headers.Add("X-ChatOps-Event", message.Key.Event);
        mail.Body = new TextPart("plain") { Text = message.Body };
        return mail;
    }

    private static SecureSocketOptions Secure(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
}
