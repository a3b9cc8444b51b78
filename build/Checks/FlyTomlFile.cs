using System.Globalization;
using DeployBuild.Settings;

namespace DeployBuild.Checks;

/// <summary>A service as Fly sees it: [http_service] or one [[services]] entry.</summary>
/// <param name="IsOrphanChecks">
/// A table that only exists because a check header named it (<c>[[services.http_checks]]</c> with no
/// <c>[[services]]</c>, or <c>[[http_service.checks]]</c> with no <c>[http_service]</c>): no port, nothing to check.
/// </param>
internal sealed record FlyTomlService(string Label, TomlMap Map, bool IsHttpService, bool IsOrphanChecks)
{
    public ConfigPosition Position => Map.Position;

    public long? InternalPort => FlyTomlValidator.Integer(Map, "internal_port");

    public ConfigPosition? InternalPortPosition => Map.TryGet("internal_port", out var node, out _) ? node.Position : null;
}

/// <summary>One health check, with the service it is attached to (none for top-level [checks]).</summary>
internal sealed record FlyTomlCheck(string Label, TomlMap Map, FlyTomlService? Service, string? Type, string Name = "")
{
    public ConfigPosition Position => Map.Position;

    public bool IsTopLevel => Service is null;

    public bool IsHttp => Type == "http";

    /// <summary>
    /// What a bare number means here: flyctl turns it into milliseconds for [[services.*_checks]] and [checks.*]
    /// (appconfig patches.go), but leaves [[http_service.checks]] to fly-go's duration, which counts nanoseconds.
    /// </summary>
    public FlyBareNumber BareNumber => Service is { IsHttpService: true } ? FlyBareNumber.Nanoseconds : FlyBareNumber.Milliseconds;

    public string BareNumberRule => BareNumber == FlyBareNumber.Nanoseconds
        ? "a bare number counts nanoseconds under [[http_service.checks]]"
        : "a bare number counts milliseconds here";
}

/// <summary>The PORT the app will see: a deploy-time value wins over [env], as secrets and -e do on Fly.</summary>
internal sealed record FlyTomlPort(string Value, long? Number, string Source, ConfigPosition Position);

/// <summary>The parts of a fly.toml document the checks look at, each still tied to its place in the file.</summary>
internal sealed class FlyTomlFile
{
    private FlyTomlFile(TomlMap document)
    {
        Document = document;
    }

    public TomlMap Document { get; }

    public FlyTomlService? HttpService { get; private set; }

    public List<FlyTomlService> Services { get; } = [];

    public List<FlyTomlCheck> Checks { get; } = [];

    public FlyTomlPort? Port { get; private set; }

    public List<long> MetricsPorts { get; } = [];

    public List<ConfigPosition> Mounts { get; } = [];

    public List<TomlMap> Vms { get; } = [];

    public List<TomlMap> Restarts { get; } = [];

    public List<string> ProcessNames { get; } = [];

    public TomlMap? Deploy { get; private set; }

    public TomlMap? Build { get; private set; }

    public TomlMap? EnvTable { get; private set; }

    public TomlScalar? PrimaryRegion { get; private set; }

    public ConfigPosition? StrategyPosition => Deploy is not null && Deploy.TryGet("strategy", out var node, out _) ? node.Position : null;

    public static FlyTomlFile Read(TomlMap document, IReadOnlyDictionary<string, string>? deployEnv)
    {
        var file = new FlyTomlFile(document);
        file.Deploy = Table(document, "deploy");
        file.Build = Table(document, "build");
        file.EnvTable = Table(document, "env");
        file.PrimaryRegion = document.TryGet("primary_region", out var region, out _) ? region as TomlScalar : null;

        if (Table(document, "http_service") is { } http)
        {
            file.HttpService = new FlyTomlService("[http_service]", http, IsHttpService: true, IsOrphan(http, "checks", "machine_checks"));
            file.Services.Add(file.HttpService);
            foreach (var check in Items(http, "checks"))
            {
                file.Checks.Add(new FlyTomlCheck("[[http_service.checks]]", check, file.HttpService, "http"));
            }
        }

        if (document.TryGet("services", out var services, out _))
        {
            var entries = Items(document, "services");
            for (var i = 0; i < entries.Count; i++)
            {
                var label = services is TomlList && entries.Count > 1 ? $"[[services]] #{i + 1}" : "[[services]]";
                var service = new FlyTomlService(label, entries[i], IsHttpService: false,
                    services is TomlMap && IsOrphan(entries[i], "http_checks", "tcp_checks", "machine_checks"));
                file.Services.Add(service);
                foreach (var check in Items(entries[i], "http_checks"))
                {
                    file.Checks.Add(new FlyTomlCheck("[[services.http_checks]]", check, service, "http"));
                }

                foreach (var check in Items(entries[i], "tcp_checks"))
                {
                    file.Checks.Add(new FlyTomlCheck("[[services.tcp_checks]]", check, service, "tcp"));
                }
            }
        }

        if (document.TryGet("checks", out var topChecks, out _))
        {
            var named = topChecks switch
            {
                TomlMap map => map.Entries.Where(e => e.Value is TomlMap).Select(e => (e.Key, (TomlMap)e.Value)).ToList(),
                // Older files wrote [[checks]] with a name key; flyctl still converts them.
                TomlList list => list.Items.OfType<TomlMap>().Select(m => (Name(m), m)).ToList(),
                _ => [],
            };
            foreach (var (name, check) in named)
            {
                var type = check.TryGet("type", out var typeNode, out _) && typeNode is TomlScalar { Value: string t } ? t : null;
                file.Checks.Add(new FlyTomlCheck($"[checks.{name}]", check, Service: null, type, name));
            }
        }

        foreach (var key in new[] { "mounts", "mount" })
        {
            file.Mounts.AddRange(Items(document, key).Select(m => m.Position));
        }

        foreach (var key in new[] { "vm", "compute", "computes" })
        {
            file.Vms.AddRange(Items(document, key));
        }

        foreach (var key in new[] { "metrics", "metric" })
        {
            file.MetricsPorts.AddRange(Items(document, key).Select(m => FlyTomlValidator.Integer(m, "port")).OfType<long>());
        }

        file.Restarts.AddRange(Items(document, "restart"));
        if (Table(document, "processes") is { } processes)
        {
            file.ProcessNames.AddRange(processes.Entries.Select(e => e.Key));
        }

        file.Port = ReadPort(file.EnvTable, deployEnv, document.Position);
        return file;
    }

    private static FlyTomlPort? ReadPort(TomlMap? env, IReadOnlyDictionary<string, string>? deployEnv, ConfigPosition fallback)
    {
        TomlNode? envNode = null;
        env?.TryGet("PORT", out envNode, out _);
        if (deployEnv is not null && deployEnv.TryGetValue("PORT", out var deployed))
        {
            return new FlyTomlPort(deployed, Number(deployed), "from the deploy environment", envNode?.Position ?? fallback);
        }

        return envNode is TomlScalar scalar
            ? new FlyTomlPort(TomlDocument.Describe(scalar.Value).Trim('"'), scalar.Value switch
            {
                long n => n,
                string s => Number(s),
                _ => null,
            }, "[env]", scalar.Position)
            : null;
    }

    private static long? Number(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 65535 ? n : null;

    // Only tables that exist because a check header named them, and hold nothing else.
    private static bool IsOrphan(TomlMap map, params string[] checkKeys) =>
        map.Implicit && map.Entries.All(e => checkKeys.Contains(e.Key));

    private static TomlMap? Table(TomlMap parent, string key) =>
        parent.TryGet(key, out var node, out _) ? node as TomlMap : null;

    /// <summary>The tables of an array of tables, or the one table flyctl would wrap into an array.</summary>
    private static List<TomlMap> Items(TomlMap parent, string key) =>
        !parent.TryGet(key, out var node, out _)
            ? []
            : node switch
            {
                TomlList list => list.Items.OfType<TomlMap>().ToList(),
                TomlMap single => [single],
                _ => [],
            };

    private static string Name(TomlMap check) =>
        check.TryGet("name", out var node, out _) && node is TomlScalar { Value: string name } ? name : "?";
}
