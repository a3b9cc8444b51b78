using System.Text;

namespace DeployBuild.Reporting;

/// <summary>
/// GitHub refuses a step's job summary over 1 MiB (and then shows none). A report that long
/// (thousands of failing tests, a flood of findings) is cut at a line boundary, outside any
/// Mermaid or code block, with a note that names the whole report.
/// </summary>
public static class JobSummary
{
    /// <summary>GitHub's limit for one step's summary.</summary>
    public const int GitHubLimitBytes = 1024 * 1024;

    public static string Fit(string markdown, string fullReport, int limitBytes = GitHubLimitBytes)
    {
        if (Encoding.UTF8.GetByteCount(markdown) <= limitBytes)
        {
            return markdown;
        }

        var note = $"\n> ✂️ **Cut here** to stay under GitHub's {limitBytes / 1024} KiB job summary limit: the whole report is `{fullReport}` (in the run's artifact).\n";
        var budget = limitBytes - Encoding.UTF8.GetByteCount(note);
        var kept = new StringBuilder();
        var size = 0;
        var lastSafeLength = 0;
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            var bytes = Encoding.UTF8.GetByteCount(line) + 1;
            if (size + bytes > budget)
            {
                break;
            }

            kept.Append(line).Append('\n');
            size += bytes;
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }

            if (!inFence)
            {
                lastSafeLength = kept.Length;
            }
        }

        return kept.ToString(0, lastSafeLength) + note;
    }
}
