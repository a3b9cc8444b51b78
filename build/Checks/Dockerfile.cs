using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeployBuild.Checks;

/// <summary>One instruction of a Dockerfile, with the line it starts on (1-based).</summary>
public sealed record DockerInstruction(string Keyword, string Arguments, int Line);

/// <summary>Just enough of a Dockerfile to check it against fly.toml: instructions, ports, the start command.</summary>
public sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> instructions)
    {
        Instructions = instructions;
    }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var body = line;
            while (body.EndsWith('\\') && i + 1 < lines.Length)
            {
                body = body[..^1] + " ";
                var next = lines[++i].Trim();
                if (!next.StartsWith('#'))
                {
                    body += next;
                }
            }

            var space = body.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? body : body[..space]).ToUpperInvariant();
            instructions.Add(new DockerInstruction(keyword, space < 0 ? string.Empty : body[(space + 1)..].Trim(), start));
        }

        return new Dockerfile(instructions);
    }

    /// <summary>Ports of every EXPOSE, with the line each was written on.</summary>
    public IEnumerable<(int Port, int Line)> ExposedPorts() =>
        Instructions.Where(i => i.Keyword == "EXPOSE")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => int.TryParse(p.Split('/')[0], out var port) ? (port, i.Line) : (-1, i.Line)))
            .Where(p => p.Item1 > 0);

    /// <summary>The last CMD (the one that counts), as words.</summary>
    public (IReadOnlyList<string> Words, int Line)? Command()
    {
        var cmd = Instructions.LastOrDefault(i => i.Keyword == "CMD");
        return cmd is null ? null : (Words(cmd.Arguments), cmd.Line);
    }

    /// <summary>The port the start command listens on, when it names one (--port N, --bind host:N, -b host:N).</summary>
    public static int? ListenPort(IReadOnlyList<string> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var value = word switch
            {
                "--port" or "-p" when i + 1 < words.Count => words[i + 1],
                "--bind" or "-b" when i + 1 < words.Count => words[i + 1].Split(':').Last(),
                _ when word.StartsWith("--port=", StringComparison.Ordinal) => word["--port=".Length..],
                _ when word.StartsWith("--bind=", StringComparison.Ordinal) => word["--bind=".Length..].Split(':').Last(),
                _ => null,
            };
            if (value is not null && int.TryParse(value, out var port))
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>True when the start command reads the PORT variable instead of a literal port.</summary>
    public static bool UsesPortVariable(IReadOnlyList<string> words) => words.Any(w => PortVariable().IsMatch(w));

    private static IReadOnlyList<string> Words(string arguments)
    {
        if (arguments.StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<List<string>>(arguments) ?? [];
            }
            catch (JsonException)
            {
                // Docker runs a malformed JSON array as a shell command.
            }
        }

        return arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(@"\$\{?PORT\b")]
    private static partial Regex PortVariable();
}
