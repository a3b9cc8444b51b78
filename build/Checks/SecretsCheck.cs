using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>
/// "Secrets nécessaires configurés": every required secret is set on the Fly app (names and
/// digests only, never values), and the local steps have the database URL they need.
/// </summary>
public sealed class SecretsCheck : IPreDeployCheck
{
    public string Name => "Secrets";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var settings = context.Settings;
        var findings = new List<Finding>();

        if (context.DatabaseUrl is null)
        {
            findings.Add(Finding.Fail(
                $"${settings.Database.UrlEnv} is not set here: Backup and Migrate connect to the database with it",
                $"export {settings.Database.UrlEnv}=<URL of the production database, reachable from this machine>"));
        }
        else
        {
            try
            {
                Database.PostgresUrl.Parse(context.DatabaseUrl);
            }
            catch (FormatException ex)
            {
                findings.Add(Finding.Fail($"${settings.Database.UrlEnv} is not a PostgreSQL URL: {ex.Message}", "fix the variable's value"));
            }
        }

        IReadOnlyList<Fly.FlySecret> secrets;
        try
        {
            secrets = await context.Fly.SecretsListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is CommandFailedException or ToolNotFoundException or System.Text.Json.JsonException)
        {
            findings.Add(Finding.Fail($"cannot list the secrets of {settings.App}: {FirstLine(ex.Message)}",
                "check that flyctl works and is logged in, and that the app exists (flyctl apps list)"));
            return new CheckResult(Name, "secrets unknown", findings, DateTime.UtcNow - started);
        }

        var present = secrets.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        // With secrets.sync, what this environment holds is sent before Release: missing on the app is fine then.
        var synced = settings.Secrets.Sync
            ? settings.Secrets.All.Where(n => !present.Contains(n) && n != settings.Database.UrlEnv && context.Environment(n) is { Length: > 0 }).ToList()
            : [];
        if (synced.Count > 0)
        {
            findings.Add(Finding.Warn($"not on {settings.App} yet, sent by the secrets sync before Release: {string.Join(", ", synced)}"));
            present.UnionWith(synced);
        }

        if (settings.Secrets.Sync)
        {
            // Refused now rather than after Backup and Migrate: a value the sync would have to send but cannot send exactly.
            var digests = secrets.ToDictionary(s => s.Name, s => s.Digest, StringComparer.Ordinal);
            foreach (var name in settings.Secrets.All.Distinct(StringComparer.Ordinal).Where(n => n != settings.Database.UrlEnv))
            {
                if (context.Environment(name) is { Length: > 0 } value
                    && !(digests.TryGetValue(name, out var digest) && Fly.SecretDigest.Matches(value, digest))
                    && Fly.SecretImport.TryLine(name, value, settings.App, out var problem) is null)
                {
                    findings.Add(Finding.Fail($"the secrets sync cannot send {problem}"));
                }
            }
        }

        var missing = settings.Secrets.Required.Where(n => !present.Contains(n)).ToList();
        var missingOptional = settings.Secrets.Optional.Where(n => !present.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            findings.Add(Finding.Fail(
                $"missing on {settings.App}: {string.Join(", ", missing)}",
                $"set them without putting values on a command line: flyctl secrets import -a {settings.App} < file-of-NAME=VALUE-lines, " +
                "or export them and run --target=Secrets"));
        }

        if (missingOptional.Count > 0)
        {
            findings.Add(Finding.Warn($"optional secrets not set on {settings.App}: {string.Join(", ", missingOptional)}", "set them if the features that use them should work"));
        }

        var summary = missing.Count == 0
            ? $"{settings.Secrets.Required.Count} required set on {settings.App}" + (missingOptional.Count > 0 ? $", {missingOptional.Count} optional missing" : string.Empty)
            : $"{missing.Count} required missing";
        return new CheckResult(Name, summary, findings, DateTime.UtcNow - started);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
