using System.Text.RegularExpressions;
using DeployBuild.Database;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>flyctl is there and logged in; pg_dump can dump the server it will meet.</summary>
public sealed partial class ToolingCheck : IPreDeployCheck
{
    public string Name => "Tooling";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var findings = new List<Finding>();
        var notes = new List<string>();

        try
        {
            var account = await context.Fly.WhoAmIAsync(cancellationToken);
            notes.Add($"flyctl as {account}");
        }
        catch (ToolNotFoundException ex)
        {
            findings.Add(Finding.Fail(ex.Message));
        }
        catch (CommandFailedException ex)
        {
            findings.Add(Finding.Fail($"flyctl is not logged in: {ex.Message.Split('\n').Last().Trim(' ', '|')}",
                "run flyctl auth login (on CI: set FLY_API_TOKEN from flyctl tokens create deploy)"));
        }

        if (context.Settings.Backup.Enabled)
        {
            findings.AddRange(await PgDumpAsync(context, notes, cancellationToken));
        }

        return new CheckResult(Name, notes.Count > 0 ? string.Join("; ", notes) : "tools missing", findings, DateTime.UtcNow - started);
    }

    private static async Task<IEnumerable<Finding>> PgDumpAsync(CheckContext context, List<string> notes, CancellationToken cancellationToken)
    {
        if (CommandRunner.TryResolve("pg_dump") is null)
        {
            return [Finding.Fail("pg_dump was not found: Backup needs it", ToolHints.For("pg_dump"))];
        }

        var version = await context.Commands.RunAsync(new Command("pg_dump", ["--version"]) { Stream = false, Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
        var match = Version().Match(version.StandardOutput);
        if (!match.Success)
        {
            return [Finding.Warn($"cannot read pg_dump's version from '{version.StandardOutput.Trim()}'")];
        }

        var client = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        notes.Add($"pg_dump {match.Groups[0].Value.Split(' ').Last()}");
        if (context.DatabaseUrl is not { } url)
        {
            return [];
        }

        int server;
        try
        {
            server = await context.ServerMajorVersionAsync().WaitAsync(cancellationToken);
        }
        catch (DatabaseUnreadableException ex)
        {
            return [Finding.Fail($"cannot reach the database ({PostgresUrlOrHidden(url)}): {ex.Message}", "check the database URL, the network path and that the server is up")];
        }

        notes.Add($"server {server}");
        return client >= server
            ? []
            : [Finding.Fail($"pg_dump {client} cannot dump a PostgreSQL {server} server", $"install the PostgreSQL {server} client tools (Debian/Ubuntu: apt-get install postgresql-client-{server})")];
    }

    private static string PostgresUrlOrHidden(string url)
    {
        try
        {
            return PostgresUrl.Parse(url).ToString();
        }
        catch (FormatException)
        {
            return "unparsable URL";
        }
    }

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)(?:\.\d+)*")]
    private static partial Regex Version();
}
