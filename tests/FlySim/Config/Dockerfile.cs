using System.Text;
using System.Text.Json;

namespace FlySim.Config;

/// <summary>What the simulator needs from a Dockerfile's final stage: how the image starts and its ENV.</summary>
internal sealed record DockerImageConfig(
    IReadOnlyList<string> Command,
    bool ShellForm,
    IReadOnlyDictionary<string, string> Env,
    string? WorkDir,
    IReadOnlyList<int> ExposedPorts);

internal static class Dockerfile
{
    public static DockerImageConfig Parse(string text)
    {
        List<string>? entrypoint = null;
        var entrypointShell = false;
        List<string>? cmd = null;
        var cmdShell = false;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        string? workDir = null;
        var exposed = new List<int>();

        foreach (var (instruction, rest) in Instructions(text))
        {
            switch (instruction)
            {
                case "FROM":
                    // Each stage starts afresh; only the final stage describes the image that runs.
                    entrypoint = null;
                    cmd = null;
                    env.Clear();
                    workDir = null;
                    exposed.Clear();
                    break;
                case "CMD":
                    (cmd, cmdShell) = ParseCommand(rest);
                    break;
                case "ENTRYPOINT":
                    (entrypoint, entrypointShell) = ParseCommand(rest);
                    cmd = null;
                    break;
                case "ENV":
                    foreach (var (key, value) in ParseEnv(rest))
                    {
                        env[key] = value;
                    }

                    break;
                case "WORKDIR":
                    workDir = rest.Trim();
                    break;
                case "EXPOSE":
                    foreach (var word in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (int.TryParse(word.Split('/')[0], out var port))
                        {
                            exposed.Add(port);
                        }
                    }

                    break;
            }
        }

        if (entrypoint is { Count: > 0 })
        {
            if (entrypointShell)
            {
                return new DockerImageConfig(entrypoint, true, env, workDir, exposed);
            }

            var combined = new List<string>(entrypoint);
            if (cmd is not null)
            {
                combined.AddRange(cmdShell ? ["/bin/sh", "-c", string.Join(' ', cmd)] : cmd);
            }

            return new DockerImageConfig(combined, false, env, workDir, exposed);
        }

        if (cmd is null || cmd.Count == 0)
        {
            throw new FlyException("the Dockerfile has no CMD or ENTRYPOINT: the simulator cannot tell how to start the app");
        }

        return new DockerImageConfig(cmd, cmdShell, env, workDir, exposed);
    }

    private static IEnumerable<(string Instruction, string Arguments)> Instructions(string text)
    {
        var logical = new StringBuilder();
        foreach (var rawLine in text.Replace("\r\n", "\n").Split('\n'))
        {
            var line = rawLine;
            if (logical.Length == 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (logical.Length > 0 && line.TrimStart().StartsWith('#'))
            {
                // Comment lines inside a continued instruction are dropped by Docker too.
                continue;
            }

            var trimmedEnd = line.TrimEnd();
            if (trimmedEnd.EndsWith('\\'))
            {
                logical.Append(trimmedEnd[..^1]).Append(' ');
                continue;
            }

            logical.Append(line);
            var full = logical.ToString().Trim();
            logical.Clear();
            if (full.Length == 0)
            {
                continue;
            }

            var space = full.IndexOfAny([' ', '\t']);
            yield return space < 0
                ? (full.ToUpperInvariant(), "")
                : (full[..space].ToUpperInvariant(), full[(space + 1)..].Trim());
        }

        if (logical.Length > 0)
        {
            var full = logical.ToString().Trim();
            var space = full.IndexOfAny([' ', '\t']);
            if (space > 0)
            {
                yield return (full[..space].ToUpperInvariant(), full[(space + 1)..].Trim());
            }
        }
    }

    private static (List<string> Words, bool Shell) ParseCommand(string rest)
    {
        if (rest.StartsWith('['))
        {
            try
            {
                var words = JsonSerializer.Deserialize(rest, DockerfileJson.Default.ListString);
                if (words is not null)
                {
                    return (words, false);
                }
            }
            catch (JsonException)
            {
                // Docker falls back to shell form when the JSON array is malformed.
            }
        }

        return ([rest], true);
    }

    private static IEnumerable<(string Key, string Value)> ParseEnv(string rest)
    {
        var words = ShellWords.Split(rest);
        if (words.Count == 0)
        {
            yield break;
        }

        if (!words[0].Contains('='))
        {
            // Legacy form: ENV KEY value with spaces
            var space = rest.IndexOfAny([' ', '\t']);
            if (space > 0)
            {
                yield return (rest[..space], rest[(space + 1)..].Trim());
            }

            yield break;
        }

        foreach (var word in words)
        {
            var eq = word.IndexOf('=');
            if (eq > 0)
            {
                yield return (word[..eq], word[(eq + 1)..]);
            }
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class DockerfileJson : System.Text.Json.Serialization.JsonSerializerContext;
