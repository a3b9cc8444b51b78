using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Commands;

/// <summary><c>flyctl secrets list|set|import|unset|deploy</c>. Values are stored, never printed.</summary>
internal static class SecretsCommands
{
    /// <summary>flyctl waits as long as the app's deployed [deploy] wait_timeout; the simulator keeps no deployed config, so 5m.</summary>
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);

    /// <summary>set.go: helpers.ReadStdin(64 * 1024) for a NAME=- value.</summary>
    private const int MaxSetStdinBytes = 64 * 1024;

    public static readonly IReadOnlyList<FlagSpec> ListFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
    ];

    /// <summary>
    /// set, import and unset: sharedFlags of internal/command/secrets/secrets.go. They have no
    /// --wait-timeout: the restart waits as long as the app's [deploy] wait_timeout, 5m by default.
    /// </summary>
    public static readonly IReadOnlyList<FlagSpec> ChangeFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("detach", IsBool: true, Description: "Return immediately instead of monitoring deployment progress"),
        new("stage", IsBool: true, Description: "Set secrets but skip deployment for machine apps"),
        new("dns-checks", IsBool: true, Description: "Perform DNS checks during deployment (default true)"),
    ];

    /// <summary>secrets deploy (internal/command/secrets/deploy.go): no --stage.</summary>
    public static readonly IReadOnlyList<FlagSpec> DeployFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("detach", IsBool: true, Description: "Return immediately instead of monitoring deployment progress"),
        new("dns-checks", IsBool: true, Description: "Perform DNS checks during deployment (default true)"),
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
            // list.go SecretWithStatus: name, digest, status and nothing else (no timestamps).
            Render.Json(invocation.Out, new JsonArray([.. secrets.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["digest"] = s.Digest,
                ["status"] = Status(s),
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

    /// <summary>
    /// set.go runSet: NAME=VALUE arguments split at the first '=' (cmdutil.ParseKVStringsToMap); a value
    /// of <c>-</c> is read from stdin (helpers.ReadStdin: at most 64 KiB, whitespace-trimmed), which
    /// must be piped.
    /// </summary>
    public static Task<int> SetAsync(Invocation invocation, CancellationToken cancellationToken) =>
        ApplyAsync(invocation, async () =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in invocation.Args)
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    throw new FlyException($"could not parse secrets: '{pair}': must be in the format NAME=VALUE");
                }

                values[pair[..eq]] = pair[(eq + 1)..];
            }

            foreach (var name in values.Where(v => v.Value == "-").Select(v => v.Key).ToList())
            {
                if (!Console.IsInputRedirected)
                {
                    throw new FlyException($"secret `{name}` expects standard input but none provided");
                }

                var text = await invocation.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                if (Encoding.UTF8.GetByteCount(text) > MaxSetStdinBytes)
                {
                    throw new FlyException($"error reading stdin for '{name}': Input exceeded max length of {MaxSetStdinBytes} bytes");
                }

                values[name] = text.Trim();
            }

            return values.Count == 0 ? throw new FlyException("requires at least one SECRET=VALUE pair") : values;
        }, [], cancellationToken);

    /// <summary>import.go runImport: the app is looked up first, then stdin parsed as parser.go does (<see cref="SecretsParser"/>).</summary>
    public static Task<int> ImportAsync(Invocation invocation, CancellationToken cancellationToken) =>
        ApplyAsync(invocation, async () =>
        {
            var values = Parse(await invocation.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
            return values.Count == 0 ? throw new FlyException("requires at least one SECRET=VALUE pair") : values;
        }, [], cancellationToken);

    public static Task<int> UnsetAsync(Invocation invocation, CancellationToken cancellationToken) =>
        ApplyAsync(invocation, () => Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>()), invocation.Args, cancellationToken);

    public static async Task<int> DeployAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        if (context.Store.ReadMachines(app.Name).Count == 0)
        {
            throw new FlyException($"no machines available to deploy secrets to for app {app.Name}; run `fly deploy` first");
        }

        await DeploySecretsAsync(context, app, DefaultWait, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The parser of <c>fly secrets import</c>, as flyctl's parser.go: see <see cref="SecretsParser"/>.</summary>
    public static Dictionary<string, string> Parse(string text) => SecretsParser.Parse(text);

    private static async Task<int> ApplyAsync(Invocation invocation, Func<Task<IReadOnlyDictionary<string, string>>> read, IReadOnlyList<string> unset, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var set = await read().ConfigureAwait(false);
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

        await DeploySecretsAsync(context, app, DefaultWait, cancellationToken).ConfigureAwait(false);
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
