namespace ChatOps.Agent.Allowlist;

// The JSON shape of an allowlist file, read as written. AllowlistLoader turns it into the
// checked model (AllowlistAction, ActionParameter) and reports every problem it finds.
internal sealed class AllowlistFile
{
    public Dictionary<string, ActionSpec>? Actions { get; set; }
}

internal sealed class ActionSpec
{
    public string? Description { get; set; }

    public List<string>? Argv { get; set; }

    public List<ParameterSpec>? Params { get; set; }

    public ParameterSpec? Rest { get; set; }

    public int? TimeoutSeconds { get; set; }

    public bool EndOfOptions { get; set; }
}

internal sealed class ParameterSpec
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? Type { get; set; }

    public bool? Required { get; set; }

    public string? Default { get; set; }

    public string? Pattern { get; set; }

    public int? MaxLength { get; set; }

    public long? Min { get; set; }

    public long? Max { get; set; }

    public List<string>? Values { get; set; }

    public string? Root { get; set; }
}
