namespace FlySim.Cli;

internal sealed record FlagSpec(string Name, char? Short = null, bool IsBool = false, string Description = "", bool Hidden = false);

/// <summary>A command of the tree; <see cref="Run"/> is null for groups such as <c>secrets</c>.</summary>
internal sealed record CommandSpec
{
    public required string Name { get; init; }
    public string[] Aliases { get; init; } = [];
    public string Usage { get; init; } = "";
    public string Short { get; init; } = "";
    public IReadOnlyList<FlagSpec> Flags { get; init; } = [];
    public Func<Invocation, CancellationToken, Task<int>>? Run { get; init; }
    public int MinArgs { get; init; }
    public int MaxArgs { get; init; } = int.MaxValue;
    public bool Hidden { get; init; }
    public List<CommandSpec> Children { get; init; } = [];

    public CommandSpec? Child(string name) =>
        Children.FirstOrDefault(c => c.Name == name || c.Aliases.Contains(name));
}

/// <summary>One parsed call: the command path, its flags and positional arguments, and the process streams.</summary>
internal sealed class Invocation
{
    public required string Path { get; init; }
    public required CommandSpec Command { get; init; }
    public required IReadOnlyDictionary<string, List<string>> Flags { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required TextWriter Out { get; init; }
    public required TextWriter Err { get; init; }
    public required TextReader In { get; init; }

    public bool Has(string flag) => Flags.ContainsKey(flag);

    public bool Bool(string flag) =>
        Flags.TryGetValue(flag, out var values) && values.Count > 0 && values[^1] is "true" or "1" or "";

    public string? String(string flag) => Flags.TryGetValue(flag, out var values) && values.Count > 0 ? values[^1] : null;

    public IReadOnlyList<string> All(string flag) => Flags.TryGetValue(flag, out var values) ? values : [];

    public bool Json => Bool("json");
}

/// <summary>Parses arguments with cobra/pflag's rules and error messages, which scripts and users know.</summary>
internal static class CommandLine
{
    public static readonly IReadOnlyList<FlagSpec> GlobalFlags =
    [
        new("access-token", 't', Description: "Fly API Access Token"),
        new("verbose", IsBool: true, Description: "Verbose output"),
        new("debug", IsBool: true, Description: "Print additional logs and traces"),
        new("help", 'h', IsBool: true, Description: "help for this command"),
    ];

    public static (CommandSpec Command, string Path, Dictionary<string, List<string>> Flags, List<string> Args) Parse(CommandSpec root, IReadOnlyList<string> argv)
    {
        var command = root;
        var path = new List<string>();
        var i = 0;
        while (i < argv.Count && !argv[i].StartsWith('-'))
        {
            var child = command.Child(argv[i]);
            if (child is null)
            {
                if (command.Run is null)
                {
                    var where = path.Count == 0 ? "flyctl" : "flyctl " + string.Join(' ', path);
                    throw new FlyException($"unknown command \"{argv[i]}\" for \"{where}\"\nRun '{where} --help' for usage.");
                }

                break;
            }

            command = child;
            path.Add(child.Name);
            i++;
        }

        var flagSpecs = command.Flags.Concat(GlobalFlags).ToList();
        var flags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var args = new List<string>();
        for (; i < argv.Count; i++)
        {
            var token = argv[i];
            if (token == "--")
            {
                args.AddRange(argv.Skip(i + 1));
                break;
            }

            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
            {
                var body = token[2..];
                var eq = body.IndexOf('=');
                var name = eq >= 0 ? body[..eq] : body;
                var spec = flagSpecs.FirstOrDefault(f => f.Name == name)
                    ?? throw new FlyException($"unknown flag: --{name}");
                string value;
                if (eq >= 0)
                {
                    value = body[(eq + 1)..];
                }
                else if (spec.IsBool)
                {
                    value = "true";
                }
                else if (i + 1 < argv.Count)
                {
                    value = argv[++i];
                }
                else
                {
                    throw new FlyException($"flag needs an argument: --{name}");
                }

                Add(flags, spec, value);
                continue;
            }

            if (token.StartsWith('-') && token.Length > 1)
            {
                var shorthand = token[1];
                var spec = flagSpecs.FirstOrDefault(f => f.Short == shorthand)
                    ?? throw new FlyException($"unknown shorthand flag: '{shorthand}' in {token}");
                string value;
                if (spec.IsBool)
                {
                    if (token.Length > 2 && token[2] != '=')
                    {
                        throw new FlyException($"unknown shorthand flag: '{token[2]}' in {token}");
                    }

                    value = token.Length > 3 ? token[3..] : "true";
                }
                else if (token.Length > 2)
                {
                    value = token[2] == '=' ? token[3..] : token[2..];
                }
                else if (i + 1 < argv.Count)
                {
                    value = argv[++i];
                }
                else
                {
                    throw new FlyException($"flag needs an argument: '{shorthand}' in -{shorthand}");
                }

                Add(flags, spec, value);
                continue;
            }

            args.Add(token);
        }

        return (command, string.Join(' ', path), flags, args);
    }

    private static void Add(Dictionary<string, List<string>> flags, FlagSpec spec, string value)
    {
        if (spec.IsBool && value is not ("true" or "false" or "1" or "0" or "t" or "f" or "TRUE" or "FALSE" or "True" or "False"))
        {
            throw new FlyException($"invalid argument \"{value}\" for \"--{spec.Name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax");
        }

        if (spec.IsBool)
        {
            value = value is "true" or "1" or "t" or "TRUE" or "True" ? "true" : "false";
        }

        if (!flags.TryGetValue(spec.Name, out var list))
        {
            flags[spec.Name] = list = [];
        }

        list.Add(value);
    }

    public static void ValidateArgCount(CommandSpec command, string path, IReadOnlyList<string> args)
    {
        if (command.MaxArgs == 0 && args.Count > 0)
        {
            throw new FlyException($"unknown command \"{args[0]}\" for \"flyctl {path}\"");
        }

        if (args.Count > command.MaxArgs)
        {
            throw new FlyException($"accepts at most {command.MaxArgs} arg(s), received {args.Count}");
        }

        if (args.Count < command.MinArgs)
        {
            throw new FlyException(command.MinArgs == command.MaxArgs
                ? $"accepts {command.MinArgs} arg(s), received {args.Count}"
                : $"requires at least {command.MinArgs} arg(s), only received {args.Count}");
        }
    }

    public static void WriteHelp(TextWriter writer, CommandSpec command, string path)
    {
        var name = path.Length == 0 ? "flyctl" : "flyctl " + path;
        if (command.Short.Length > 0)
        {
            writer.WriteLine(command.Short);
            writer.WriteLine();
        }

        writer.WriteLine("Usage:");
        writer.WriteLine(command.Run is null ? $"  {name} [command]" : $"  {name} {command.Usage}".TrimEnd());
        var visible = command.Children.Where(c => !c.Hidden).ToList();
        if (visible.Count > 0)
        {
            writer.WriteLine();
            writer.WriteLine("Available Commands:");
            var width = visible.Max(c => c.Name.Length);
            foreach (var child in visible)
            {
                writer.WriteLine($"  {child.Name.PadRight(width)}  {child.Short}");
            }
        }

        var flags = command.Flags.Where(f => !f.Hidden).ToList();
        if (flags.Count > 0)
        {
            writer.WriteLine();
            writer.WriteLine("Flags:");
            foreach (var flag in flags)
            {
                var left = flag.Short is { } s ? $"-{s}, --{flag.Name}" : $"    --{flag.Name}";
                writer.WriteLine($"  {left,-28} {flag.Description}");
            }
        }

        writer.WriteLine();
        writer.WriteLine("Global Flags:");
        foreach (var flag in GlobalFlags)
        {
            var left = flag.Short is { } s ? $"-{s}, --{flag.Name}" : $"    --{flag.Name}";
            writer.WriteLine($"  {left,-28} {flag.Description}");
        }
    }
}
