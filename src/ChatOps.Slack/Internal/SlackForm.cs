using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace ChatOps.Slack.Internal;

/// <summary>
/// An <c>application/x-www-form-urlencoded</c> body, strictly: valid UTF-8, each field at most once
/// (a repeated <c>user_id</c> must not be able to mean two things).
/// </summary>
internal static class SlackForm
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IReadOnlyDictionary<string, string>? Parse(byte[] body, out string? error)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            error = "the body is not valid UTF-8";
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in QueryHelpers.ParseQuery(text))
        {
            if (values.Count != 1)
            {
                error = $"the field '{key}' appears more than once";
                return null;
            }

            fields[key] = values[0] ?? "";
        }

        error = null;
        return fields;
    }

    /// <summary>Slack's TLS check: a form whose ssl_check is 1. Nothing is to be done for it but a 200.</summary>
    public static bool IsSslCheck(IReadOnlyDictionary<string, string> fields) =>
        fields.TryGetValue("ssl_check", out var check) && check == "1";
}
