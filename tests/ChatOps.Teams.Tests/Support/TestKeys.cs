using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatOps.Teams.Tests.Support;

/// <summary>A locally generated RSA signing key, its JWK (with Bot Framework endorsements), and JWTs signed by hand.</summary>
public sealed class TestKey : IDisposable
{
    public TestKey(string kid, params string[] endorsements)
    {
        Kid = kid;
        Endorsements = endorsements;
        Rsa = RSA.Create(2048);
    }

    public string Kid { get; }
    public string[] Endorsements { get; }
    public RSA Rsa { get; }

    public JsonObject Jwk()
    {
        var p = Rsa.ExportParameters(false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = Kid,
            ["n"] = Base64Url(p.Modulus!),
            ["e"] = Base64Url(p.Exponent!),
        };
        if (Endorsements.Length > 0) jwk["endorsements"] = new JsonArray(Endorsements.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray());
        return jwk;
    }

    /// <summary>The public key in the form an attacker would use as an HMAC secret (HS256 key confusion).</summary>
    public byte[] PublicKeyBytes() => Rsa.ExportSubjectPublicKeyInfo();

    public string Sign(JsonObject payload, string? kid = null, string alg = "RS256") => Jwt.Create(payload, alg, kid ?? Kid, (data) => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => Rsa.Dispose();

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public static class Jwt
{
    public static string Create(JsonObject payload, string alg, string? kid, Func<byte[], byte[]>? sign)
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null) header["kid"] = kid;
        var signingInput = TestKey.Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + TestKey.Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = sign is null ? "" : TestKey.Base64Url(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    public static string Hs256(JsonObject payload, string kid, byte[] secret) =>
        Create(payload, "HS256", kid, data => HMACSHA256.HashData(secret, data));

    public static string None(JsonObject payload, string kid) => Create(payload, "none", kid, null);

    /// <summary>A Bot Framework channel token's claims.</summary>
    public static JsonObject Claims(string appId, string serviceUrl, DateTimeOffset now, string issuer = "https://api.botframework.com", TimeSpan? expiresIn = null)
    {
        var exp = now + (expiresIn ?? TimeSpan.FromHours(1));
        return new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = appId,
            ["serviceurl"] = serviceUrl,
            ["nbf"] = Math.Min(now.ToUnixTimeSeconds(), exp.ToUnixTimeSeconds()) - 300,
            ["iat"] = now.ToUnixTimeSeconds() - 10,
            ["exp"] = exp.ToUnixTimeSeconds(),
        };
    }

    public static string ToJson(object value) => JsonSerializer.Serialize(value);
}
