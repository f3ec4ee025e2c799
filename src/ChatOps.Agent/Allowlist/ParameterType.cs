namespace ChatOps.Agent.Allowlist;

internal enum ParameterType
{
    /// <summary>Letters, digits and <c>._:+=,@/-</c>; no spaces.</summary>
    Word,

    /// <summary>Any printable text, spaces included; still one argv element.</summary>
    Text,

    Integer,

    /// <summary>Exactly one of the allowlist's own values.</summary>
    Choice,

    /// <summary>A file system path confined to the parameter's root after canonicalisation.</summary>
    Path,
}
