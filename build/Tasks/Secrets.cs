using System.Text;
using Cake.Common.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.State;

namespace DeployBuild.Tasks;

[TaskName("Secrets")]
[TaskDescription("Make the app's Fly secrets match this environment (required and optional ones set here): digests compared, only what changed sent on stdin, values never printed.")]
public sealed class Secrets : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override bool ShouldRun(DeployContext context)
    {
        if (!IsTarget(context) && !context.Settings.Secrets.Sync)
        {
            // Only a skip worth a line in the journal: a deploy does not sync unless asked to.
            context.Journal?.Skip(Name, "secrets.sync = false in deploy.toml");
            return false;
        }

        return base.ShouldRun(context);
    }

    public override async Task RunAsync(DeployContext context)
    {
        var settings = context.Settings;
        var journal = context.Journal!;
        var staged = !IsTarget(context);
        var remote = (await context.Fly.SecretsListAsync()).ToDictionary(s => s.Name, s => s.Digest, StringComparer.Ordinal);
        var rows = new List<(string Name, string State)>();
        var import = new StringBuilder();
        var refused = new List<string>();
        foreach (var name in settings.Secrets.All.Distinct(StringComparer.Ordinal))
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (name == settings.Database.UrlEnv)
            {
                // The URL Backup and Migrate use from here (often a tunnel) is not the app's.
                rows.Add((name, $"skipped: it is database.url_env, the URL this machine uses{(remote.ContainsKey(name) ? string.Empty : " (and it is MISSING on the app)")}"));
            }
            else if (string.IsNullOrEmpty(value))
            {
                rows.Add((name, remote.ContainsKey(name) ? "not in this environment (left as it is on the app)" : "MISSING here and on the app"));
            }
            else if (remote.TryGetValue(name, out var digest) && SecretDigest.Matches(value, digest))
            {
                rows.Add((name, "unchanged"));
            }
            else if (SecretImport.TryLine(name, value, settings.App, out var problem) is { } line)
            {
                rows.Add((name, remote.ContainsKey(name) ? "changed" : "new"));
                import.Append(line).Append('\n');
                context.Masker.Add(value);
            }
            else
            {
                // Never sent in a form flyctl would store differently: refused by name, the value never shown.
                context.Masker.Add(value);
                rows.Add((name, "REFUSED: flyctl secrets import cannot send it exactly"));
                refused.Add(problem!);
            }
        }

        var width = rows.Max(r => r.Name.Length) + 2;
        foreach (var (name, state) in rows)
        {
            context.Information("  {0}{1}", name.PadRight(width), state);
        }

        if (refused.Count > 0)
        {
            journal.Write(new SecretsOutputs { Refused = rows.Where(r => r.State.StartsWith("REFUSED", StringComparison.Ordinal)).Select(r => r.Name).ToList() });
            throw new InvalidOperationException(
                $"{refused.Count} secret(s) cannot be sent exactly with flyctl secrets import, so none was sent:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", refused));
        }

        var sending = rows.Where(r => r.State is "changed" or "new").Select(r => r.Name).ToList();
        journal.Write(new SecretsOutputs { Sent = sending, Unchanged = rows.Where(r => r.State == "unchanged").Select(r => r.Name).ToList() });
        if (sending.Count == 0)
        {
            context.Information("Every secret set here already matches the app: nothing sent.");
            return;
        }

        string[] arguments = staged ? ["secrets", "import", "-a", settings.App, "--stage"] : ["secrets", "import", "-a", settings.App];
        await context.Fly.RunAsync(arguments, TimeSpan.FromMinutes(5), standardInput: import.ToString());
        context.Information(staged
            ? "Sent {0} secret(s), staged: the deploy that follows restarts the machines once."
            : "Sent {0} secret(s); Fly restarts the machines with them.", sending.Count);
    }

    private bool IsTarget(DeployContext context) => context.Options.Asked(Name);

    public IEnumerable<string> Plan(DeployContext context)
    {
        if (!IsTarget(context) && !context.Settings.Secrets.Sync)
        {
            yield return "skipped: secrets.sync = false in deploy.toml";
            yield break;
        }

        yield return $"flyctl secrets list --json -a {context.Settings.App}   (digests, never values)";
        yield return $"flyctl secrets import -a {context.Settings.App}{(IsTarget(context) ? string.Empty : " --stage")}   (only the changed ones, on stdin)";
    }
}
