using System.Text;

namespace DeployBuild.Reporting;

/// <summary><c>&lt;state&gt;/audit.log</c>: one line per run, appended, never a secret.</summary>
public static class AuditLog
{
    public const string FileName = "audit.log";

    public static void Append(string stateDirectory, RunReport report, Func<string, string> mask)
    {
        var release = report.ReleaseAfter is { } after
            ? $"v{report.ReleaseBefore?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}->v{after.Version}"
            : report.ReleaseServing is { } serving ? $"v{serving.Version}" : "-";
        var line = new StringBuilder()
            .Append(report.FinishedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-")
            .Append(" run=").Append(report.RunId)
            .Append(" user=").Append(report.User).Append('@').Append(report.Host)
            .Append(" commit=").Append(report.Commit is { Length: >= 12 } c ? c[..12] : report.Commit ?? "-")
            .Append(" target=").Append(report.Target)
            .Append(" result=").Append(report.Result.Replace(' ', '_').Replace(",", string.Empty, StringComparison.Ordinal))
            .Append(" release=").Append(release)
            .Append(" serving=").Append(report.ReleaseServing is { } s ? $"v{s.Version}" : "-")
            .Append('\n')
            .ToString();
        Directory.CreateDirectory(stateDirectory);
        File.AppendAllText(Path.Combine(stateDirectory, FileName), mask(line));
    }
}
