using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Config;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Commands;

/// <summary><c>flyctl secrets list|set|import|unset|deploy</c>. Values are stored, never printed.</summary>
internal static class SecretsCommands
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);

    public static readonly IReadOnlyList<FlagSpec> ListFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
    ];

    public static readonly IReadOnlyList<FlagSpec> ChangeFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("stage", IsBool: true, Description: "Set secrets but skip deployment for machine apps"),
        new("detach", IsBool: true, Description: "Return immediately instead of monitoring deployment progress"),
        new("wait-timeout", Description: "Time duration to wait for machines to become healthy (default 5m0s)"),
    ];

    /// <summary>
    /// Fly's API reports a digest of each value, never the value. Its documentation shows the MD5 hex of
    /// the value; current flyctl output shows 16 hex characters, so the simulator prints the first 16 of it.
    /// </summary>
    public static string Digest(string value) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)))[..16];

    public static async Task<int> ListAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var secrets = context.Store.ReadSecrets(app.Name).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        string Status(SecretRecord s) => s.Staged ? "Staged" : "Deployed";

        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonArray([.. secrets.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["digest"] = s.Digest,
                ["status"] = Status(s),
                ["created_at"] = Render.Time(s.CreatedAt),
                ["updated_at"] = Render.Time(s.UpdatedAt),
            })]));
            return 0;
        }

        Render.Table(invocation.Out, null, ["Name", "Digest", "Status"],
            secrets.Select(s => (IReadOnlyList<string>)[(s.Staged ? "* " : "") + s.Name, s.Digest, Status(s)]));
        var staged = secrets.Count(s => s.Staged);
        if (staged > 0)
        {
            invocation.Out.WriteLine(staged == 1
                ? "There is 1 secret not deployed. Deploy with `fly secrets deploy` to make them available."
                : $"There are {staged} secrets not deployed. Deploy with `fly secrets deploy` to make them available.");
        }

        return 0;
    }

    public static async Task<int> SetAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < invocation.Args.Count; i++)
        {
            var pair = invocation.Args[i];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new FlyException($"Secrets must be provided as NAME=VALUE pairs (argument {i + 1} is invalid)");
            }

            values[pair[..eq]] = pair[(eq + 1)..];
        }

        if (values.Count == 0)
        {
            throw new FlyException("requires at least 1 arg(s), only received 0");
        }

        return await ApplyAsync(invocation, values, [], cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> ImportAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var values = Parse(await invocation.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
        if (values.Count == 0)
        {
            throw new FlyException("requires at least 1 secret on stdin as NAME=VALUE");
        }

        return await ApplyAsync(invocation, values, [], cancellationToken).ConfigureAwait(false);
    }

    public static Task<int> UnsetAsync(Invocation invocation, CancellationToken cancellationToken) =>
        ApplyAsync(invocation, new Dictionary<string, string>(), invocation.Args, cancellationToken);

    public static async Task<int> DeployAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        if (context.Store.ReadMachines(app.Name).Count == 0)
        {
            throw new FlyException($"no machines available to deploy secrets to for app {app.Name}; run `fly deploy` first");
        }

        await DeploySecretsAsync(context, app, WaitTimeout(invocation), cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The parser of <c>fly secrets import</c>: NAME=VALUE lines, "quoted" values, """multi-line""" values, # comments.</summary>
    public static Dictionary<string, string> Parse(string text)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        string? multilineKey = null;
        var multiline = new StringBuilder();
        var lineNumber = 0;
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            lineNumber++;
            if (multilineKey is not null)
            {
                if (line.EndsWith("\"\"\"", StringComparison.Ordinal))
                {
                    multiline.Append(line[..^3]);
                    secrets[multilineKey] = multiline.ToString();
                    multiline.Clear();
                    multilineKey = null;
                }
                else
                {
                    multiline.Append(line).Append('\n');
                }

                continue;
            }

            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq < 0)
            {
                throw new FlyException($"Secrets must be provided as NAME=VALUE pairs (line {lineNumber} is invalid)");
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].TrimStart(' ');
            if (value.StartsWith("\"\"\"", StringComparison.Ordinal))
            {
                multilineKey = key;
                multiline.Append(value[3..]).Append('\n');
            }
            else
            {
                if (value.Length >= 2 && value.StartsWith('"') && value.EndsWith('"'))
                {
                    value = value[1..^1];
                }

                secrets[key] = value;
            }
        }

        if (multilineKey is not null)
        {
            throw new FlyException($"unterminated multi-line value for secret {multilineKey}");
        }

        return secrets;
    }

    private static TimeSpan WaitTimeout(Invocation invocation) =>
        invocation.String("wait-timeout") is { } text ? GoDuration.ParseFlag("wait-timeout", text) : DefaultWait;

    private static async Task<int> ApplyAsync(Invocation invocation, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> unset, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var store = context.Store;
        var stage = invocation.Bool("stage");
        var deployed = app.Deployed && store.ReadMachines(app.Name).Count > 0;

        bool changed;
        using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var secrets = store.ReadSecrets(app.Name);
            var now = DateTimeOffset.UtcNow;
            var before = secrets.Select(s => (s.Name, s.Digest, s.Value)).ToHashSet();
            foreach (var (name, value) in set)
            {
                var index = secrets.FindIndex(s => s.Name == name);
                if (index >= 0 && secrets[index].Value == value)
                {
                    continue;
                }

                var record = new SecretRecord
                {
                    Name = name,
                    Value = value,
                    Digest = Digest(value),
                    CreatedAt = index >= 0 ? secrets[index].CreatedAt : now,
                    UpdatedAt = now,
                    Staged = true,
                };
                if (index >= 0)
                {
                    secrets[index] = record;
                }
                else
                {
                    secrets.Add(record);
                }
            }

            secrets.RemoveAll(s => unset.Contains(s.Name));
            changed = !before.SetEquals(secrets.Select(s => (s.Name, s.Digest, s.Value)));
            if (changed)
            {
                store.WriteSecrets(app.Name, secrets);
            }
        }

        if (!changed)
        {
            invocation.Err.WriteLine("No change detected to secrets. Skipping release.");
            return 0;
        }

        if (stage)
        {
            invocation.Out.WriteLine("Secrets have been staged, but not set on VMs. Deploy or update machines in this app for the secrets to take effect.");
            return 0;
        }

        if (!deployed)
        {
            invocation.Out.WriteLine("Secrets are staged for the first deployment");
            return 0;
        }

        if (invocation.Bool("detach"))
        {
            invocation.Out.WriteLine("The --detach option isn't available for Machine apps");
        }

        await DeploySecretsAsync(context, app, WaitTimeout(invocation), cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task DeploySecretsAsync(CommandContext context, AppRecord app, TimeSpan waitTimeout, CancellationToken cancellationToken)
    {
        await Restart.RunAsync(context, app, (spec, version) => spec with { ReleaseVersion = version },
            ("secrets", "Secrets updated"), waitTimeout, cancellationToken).ConfigureAwait(false);
        using (await context.Store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var secrets = context.Store.ReadSecrets(app.Name);
            context.Store.WriteSecrets(app.Name, [.. secrets.Select(s => s with { Staged = false })]);
        }

        context.Out.WriteLine("  Finished deploying");
    }
}
