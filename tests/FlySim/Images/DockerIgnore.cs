using System.Text.RegularExpressions;

namespace FlySim.Images;

/// <summary>The common subset of .dockerignore: globs with *, ?, ** and ! exceptions, matched on the relative path.</summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Negated)> _rules;

    private DockerIgnore(List<(Regex, bool)> rules) => _rules = rules;

    public static DockerIgnore Load(string workDir)
    {
        var path = Path.Combine(workDir, ".dockerignore");
        var rules = new List<(Regex, bool)>();
        if (File.Exists(path))
        {
            foreach (var raw in File.ReadAllLines(path))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var negated = line.StartsWith('!');
                if (negated)
                {
                    line = line[1..].Trim();
                }

                line = line.TrimStart('/').TrimEnd('/');
                if (line.StartsWith("./", StringComparison.Ordinal))
                {
                    line = line[2..];
                }

                if (line.Length > 0)
                {
                    rules.Add((new Regex("^" + ToRegex(line) + "(/.*)?$", RegexOptions.CultureInvariant), negated));
                }
            }
        }

        return new DockerIgnore(rules);
    }

    public bool IsIgnored(string relativePath)
    {
        var path = relativePath.Replace('\\', '/');
        var ignored = false;
        foreach (var (pattern, negated) in _rules)
        {
            if (pattern.IsMatch(path))
            {
                ignored = !negated;
            }
        }

        return ignored;
    }

    private static string ToRegex(string glob)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                builder.Append(".*");
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/')
                {
                    i++;
                }
            }
            else if (c == '*')
            {
                builder.Append("[^/]*");
            }
            else if (c == '?')
            {
                builder.Append("[^/]");
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        return builder.ToString();
    }
}
