using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Core.Identity;

/// <summary>
/// Local passwords as PBKDF2-HMAC-SHA256 with a random 16-byte salt per password, stored as
/// <c>pbkdf2-sha256$iterations$salt$hash</c> (base64). The iteration count travels in the hash, so
/// raising it later leaves old hashes verifiable (and <see cref="NeedsRehash"/> upgrades them at the
/// next sign-in). Comparison is constant-time.
/// </summary>
public sealed class PasswordHasher
{
    /// <summary>OWASP's figure for PBKDF2-HMAC-SHA256 (2023).</summary>
    public const int RecommendedIterations = 600_000;

    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 1024;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // Verified against when the user does not exist, so "no such user" takes as long as "wrong password".
    private readonly Lazy<string> _dummy;

    /// <param name="iterations">Only tests go below <see cref="RecommendedIterations"/> (to keep suites fast).</param>
    public PasswordHasher(int iterations = RecommendedIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        Iterations = iterations;
        _dummy = new Lazy<string>(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
    }

    public int Iterations { get; }

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or a malformed hash.</summary>
    public bool Verify(string password, string? storedHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (storedHash is null || !TryParse(storedHash, out var iterations, out var salt, out var expected))
        {
            // Same work as a real check, so timing does not tell whether the account exists.
            TryParse(_dummy.Value, out iterations, out salt, out expected);
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>True when the stored hash uses fewer iterations than this hasher (re-hash at the next sign-in).</summary>
    public bool NeedsRehash(string storedHash) =>
        !TryParse(storedHash, out var iterations, out _, out _) || iterations < Iterations;

    /// <summary>Null when the password is acceptable, else the reason in words for the user.</summary>
    public static string? Check(string? password)
    {
        if (string.IsNullOrEmpty(password)) return "The password is empty.";
        if (password.Length < MinPasswordLength) return $"The password must be at least {MinPasswordLength} characters long.";
        if (password.Length > MaxPasswordLength) return $"The password must be at most {MaxPasswordLength} characters long.";
        if (password.Any(char.IsControl)) return "The password must not contain control characters.";
        return null;
    }

    private static bool TryParse(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1) return false;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= 8 && hash.Length >= 16;
    }
}
