namespace ChatOps.Agent.Allowlist;

/// <summary>Turns a dispatch's named and positional values into argv for one action.</summary>
internal static class ArgumentBinder
{
    /// <summary>More separate rest values than any sane command needs.</summary>
    public const int MaxRestValues = 256;

    public static BindResult Bind(AllowlistAction action, IReadOnlyDictionary<string, string> args, IReadOnlyList<string> positional)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in args)
        {
            if (!action.Parameters.Any(p => p.Name == name))
            {
                return BindResult.Fail(action.Rest?.Name == name
                    ? $"parameter '{name}' takes positional values only"
                    : $"unknown parameter '{name}' for action '{action.Name}'");
            }

            values[name] = value ?? "";
        }

        var restValues = new List<string>();
        var open = action.Parameters.Where(p => !values.ContainsKey(p.Name)).ToList();
        var next = 0;
        for (var i = 0; i < open.Count && next < positional.Count; i++)
        {
            var isLastOpen = i == open.Count - 1;
            // Chat splits on spaces; "echo hello world" means one text value, unless the action asked
            // for separate elements by declaring a rest parameter.
            if (isLastOpen && open[i].Type == ParameterType.Text && action.Rest is null)
            {
                values[open[i].Name] = string.Join(' ', positional.Skip(next));
                next = positional.Count;
            }
            else
            {
                values[open[i].Name] = positional[next++];
            }
        }

        if (next < positional.Count)
        {
            if (action.Rest is null)
            {
                return BindResult.Fail($"too many arguments: action '{action.Name}' takes at most {action.Parameters.Count}");
            }

            restValues.AddRange(positional.Skip(next));
            if (restValues.Count > MaxRestValues)
            {
                return BindResult.Fail($"too many arguments: parameter '{action.Rest.Name}' takes at most {MaxRestValues} values");
            }
        }

        var checkedValues = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in action.Parameters)
        {
            if (!values.TryGetValue(parameter.Name, out var raw))
            {
                raw = parameter.Default;
            }

            if (raw is null)
            {
                if (parameter.Required)
                {
                    return BindResult.Fail($"missing required parameter '{parameter.Name}'");
                }

                continue;
            }

            var check = parameter.Check(raw, action.EndOfOptions);
            if (check.Error is not null)
            {
                return BindResult.Fail(check.Error);
            }

            checkedValues[parameter.Name] = check.Value!;
        }

        if (action.Rest is { Required: true } && restValues.Count == 0)
        {
            return BindResult.Fail($"missing required parameter '{action.Rest.Name}'");
        }

        var checkedRest = new List<string>(restValues.Count);
        foreach (var raw in restValues)
        {
            var check = action.Rest!.Check(raw, action.EndOfOptions);
            if (check.Error is not null)
            {
                return BindResult.Fail(check.Error);
            }

            checkedRest.Add(check.Value!);
        }

        return BindResult.Ok(new BoundCommand(action.Program, BuildArgv(action, checkedValues, checkedRest)));
    }

    private static List<string> BuildArgv(AllowlistAction action, Dictionary<string, string> values, List<string> rest)
    {
        var argv = new List<string>();
        var endOfOptionsInserted = false;
        foreach (var element in action.Template)
        {
            if (element.Literal is not null)
            {
                argv.Add(element.Literal);
                continue;
            }

            var fromPlaceholder = action.Rest?.Name == element.Parameter
                ? rest
                : values.TryGetValue(element.Parameter!, out var value) ? [value] : [];
            if (fromPlaceholder.Count == 0)
            {
                continue;
            }

            if (action.EndOfOptions && !endOfOptionsInserted)
            {
                argv.Add("--");
                endOfOptionsInserted = true;
            }

            argv.AddRange(fromPlaceholder);
        }

        return argv;
    }
}
