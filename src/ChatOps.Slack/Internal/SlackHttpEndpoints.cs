using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// The three HTTP endpoints Slack calls. Order matters: size cap → signature over the raw bytes →
/// only then parsing. A request that fails the signature gets 401 and a log line and reaches
/// nothing else; nothing is parsed from it, so no identity is ever taken from an unsigned body.
/// </summary>
internal sealed partial class SlackHttpEndpoints(
    SlackSignatureVerifier verifier,
    SlashCommandHandler commands,
    SlackEventHandler events,
    SlackInteractionHandler interactions,
    TimeProvider time,
    ILogger<SlackHttpEndpoints> logger)
{
    public const int MaxBodyBytes = 64 * 1024;

    public async Task CommandsAsync(HttpContext context)
    {
        var arrived = time.GetTimestamp();
        if (await ReadVerifiedAsync(context, allowSslCheck: true) is not { } body) return;
        if (!IsForm(context)) return;
        if (SlackForm.Parse(body, out var formError) is not { } fields)
        {
            await BadRequestAsync(context, formError!);
            return;
        }

        if (SlackForm.IsSslCheck(fields))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        if (SlashCommand.From(key => fields.GetValueOrDefault(key), out var error) is not { } command)
        {
            await BadRequestAsync(context, error!);
            return;
        }

        var text = await commands.HandleAsync(command, arrived);
        await context.Response.WriteAsJsonAsync(new { response_type = "ephemeral", text = SlackText.Escape(text) });
    }

    public async Task EventsAsync(HttpContext context)
    {
        var arrived = time.GetTimestamp();
        if (await ReadVerifiedAsync(context, allowSslCheck: false) is not { } body) return;
        JsonDocument document;
        try
        {
            document = SlackJson.Parse(body);
        }
        catch (JsonException ex)
        {
            await BadRequestAsync(context, "the body is not valid JSON: " + ex.Message);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            switch (root.String("type"))
            {
                case "url_verification":
                    await context.Response.WriteAsJsonAsync(new { challenge = root.String("challenge") ?? "" });
                    return;
                case "event_callback":
                    if (SlackEvent.From(root, out var error) is not { } slackEvent)
                    {
                        await BadRequestAsync(context, error!);
                        return;
                    }

                    await events.AcceptAsync(slackEvent, RetryNum(context.Request), arrived);
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    return;
                default:
                    LogUnhandledEvent(root.String("type") ?? "(none)");
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    return;
            }
        }
    }

    public async Task InteractivityAsync(HttpContext context)
    {
        var arrived = time.GetTimestamp();
        if (await ReadVerifiedAsync(context, allowSslCheck: false) is not { } body) return;
        if (!IsForm(context)) return;
        if (SlackForm.Parse(body, out var formError) is not { } fields || !fields.TryGetValue("payload", out var payloadText))
        {
            await BadRequestAsync(context, formError ?? "the form has no payload field");
            return;
        }

        JsonDocument document;
        try
        {
            document = SlackJson.Parse(payloadText);
        }
        catch (JsonException ex)
        {
            await BadRequestAsync(context, "the payload is not valid JSON: " + ex.Message);
            return;
        }

        using (document)
        {
            if (SlackInteraction.From(document.RootElement, out var error) is not { } interaction)
            {
                await BadRequestAsync(context, error!);
                return;
            }

            await interactions.AcceptAsync(interaction, arrived);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>The body if it is within the cap and signed by Slack; otherwise the answer is written and null returned.</summary>
    private async Task<byte[]?> ReadVerifiedAsync(HttpContext context, bool allowSslCheck)
    {
        var request = context.Request;
        var body = await RawBody.ReadAsync(request, MaxBodyBytes);
        if (body is null)
        {
            LogRefused(request.Path.ToString(), "body larger than the limit", RemoteAddress(context));
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsync($"The body is larger than {MaxBodyBytes} bytes.");
            return null;
        }

        var result = verifier.Verify(request.Headers["X-Slack-Request-Timestamp"].ToString(), request.Headers["X-Slack-Signature"].ToString(), body);
        if (result == SlackSignatureResult.Valid) return body;

        // Slack's TLS check may come unsigned (bolt answers it without verifying): a 200 that does nothing.
        if (allowSslCheck && SlackForm.Parse(body, out _) is { } fields && SlackForm.IsSslCheck(fields))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return null;
        }

        LogRefused(request.Path.ToString(), "signature " + result, RemoteAddress(context));
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await context.Response.WriteAsync("This request is not signed by Slack.");
        return null;
    }

    private static bool IsForm(HttpContext context)
    {
        if (context.Request.ContentType is { } type && type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)) return true;
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return false;
    }

    private static int? RetryNum(HttpRequest request) =>
        int.TryParse(request.Headers["X-Slack-Retry-Num"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var retry) ? retry : null;

    private async Task BadRequestAsync(HttpContext context, string reason)
    {
        LogRefused(context.Request.Path.ToString(), reason, RemoteAddress(context));
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await context.Response.WriteAsync("Bad request: " + reason);
    }

    private static string RemoteAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "?";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request to {Path} from {Remote}: {Reason}")]
    private partial void LogRefused(string path, string reason, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack event envelope of type {Type} acknowledged and ignored")]
    private partial void LogUnhandledEvent(string type);
}
