using System.Globalization;
using FlySim.State;
using Tomlyn;
using Tomlyn.Model;

namespace FlySim.Config;

internal sealed record FlyConfig
{
    public required string Path { get; init; }
    public string? App { get; init; }
    public string? PrimaryRegion { get; init; }
    public string? KillSignal { get; init; }
    public TimeSpan? KillTimeout { get; init; }
    public string? Dockerfile { get; init; }
    public string? BuildImage { get; init; }
    public Dictionary<string, string> Env { get; init; } = [];
    public string? ReleaseCommand { get; init; }
    public TimeSpan? ReleaseCommandTimeout { get; init; }
    public string? Strategy { get; init; }
    public TimeSpan? WaitTimeout { get; init; }
    public int? InternalPort { get; init; }
    public List<CheckDefinition> Checks { get; init; } = [];
    public string? AppProcessCommand { get; init; }
    public GuestRecord Guest { get; init; } = new("shared", 1, 256);

    /// <summary>auto_stop_machines of the app's service ("off", "stop", "suspend"; true is "stop").</summary>
    public string AutoStop { get; init; } = "off";
    public bool AutoStart { get; init; }
    public int MinMachinesRunning { get; init; }
}

/// <summary>Reads the parts of fly.toml that decide how an app is built, started and health-checked.</summary>
internal static class FlyToml
{
    /// <summary>Resolves <c>-c</c> the way flyctl does: a file, or a directory holding fly.toml.</summary>
    public static string ResolvePath(string? configFlag, string defaultDir)
    {
        if (string.IsNullOrEmpty(configFlag))
        {
            return System.IO.Path.GetFullPath(System.IO.Path.Combine(defaultDir, "fly.toml"));
        }

        var full = System.IO.Path.GetFullPath(configFlag);
        return Directory.Exists(full) ? System.IO.Path.Combine(full, "fly.toml") : full;
    }

    public static FlyConfig? TryLoad(string path) => File.Exists(path) ? Load(path, validate: false) : null;

    /// <param name="validate">
    /// Apply the checks <c>fly deploy</c> runs on the file (appconfig validation.go, machines.go), failing as it does;
    /// other commands only load it, and flyctl's loader does not judge the checks.
    /// </param>
    public static FlyConfig Load(string path, bool validate = true)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new FlyException($"failed loading app config from {path}: {ex.Message}");
        }

        TomlTable root;
        try
        {
            root = TomlSerializer.Deserialize(text, TomlContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new FlyException($"failed loading app config from {path}: {ex.Message}");
        }

        return Parse(root, path, validate);
    }

    internal static FlyConfig Parse(TomlTable root, string path, bool validate = true)
    {
        var problems = new List<string>();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Table(root, "env") is { } envTable)
        {
            foreach (var (key, value) in envTable)
            {
                env[key] = Scalar(value) ?? "";
            }
        }

        var build = Table(root, "build");
        var deploy = Table(root, "deploy");

        int? internalPort = null;
        var checks = new List<CheckDefinition>();
        var index = 0;
        TomlTable? scaling = null;

        int? httpServicePort = null;
        if (Table(root, "http_service") is { } httpService)
        {
            scaling = httpService;
            internalPort = Int(httpService, "internal_port") ?? 8080;
            httpServicePort = internalPort;
            foreach (var check in Tables(httpService, "checks"))
            {
                // fly-go's Duration: a bare number here is nanoseconds (flyctl does not patch [http_service]).
                checks.Add(HttpCheck(check, $"servicecheck-{index++:00}-http-{internalPort}", internalPort.Value, Bare.Nanoseconds, problems));
            }
        }

        foreach (var service in Tables(root, "services"))
        {
            scaling ??= service;
            var port = Int(service, "internal_port") ?? internalPort ?? 8080;
            internalPort ??= port;
            foreach (var check in Tables(service, "http_checks"))
            {
                checks.Add(HttpCheck(check, $"servicecheck-{index++:00}-http-{port}", port, Bare.Milliseconds, problems));
            }

            foreach (var check in Tables(service, "tcp_checks"))
            {
                checks.Add(TcpCheck(check, $"servicecheck-{index++:00}-tcp-{port}", port, Bare.Milliseconds, problems));
            }
        }

        if (Table(root, "checks") is { } topChecks)
        {
            foreach (var (name, value) in topChecks)
            {
                if (value is not TomlTable check)
                {
                    continue;
                }

                // appconfig toplevelcheck.go toMachineCheck: the type must be exactly "http" or "tcp"; no default.
                var type = String(check, "type");
                if (type is not ("http" or "tcp"))
                {
                    problems.Add($"Can't process top level check '{name}': Missing or invalid check type, must be 'http' or 'tcp'");
                }

                // appconfig machines.go: a check without port takes [http_service] internal_port, and fails without one.
                var port = Int(check, "port") ?? httpServicePort;
                if (port is null && validate)
                {
                    throw new FlyException($"Check '{name}' for process group 'app' has no port set and the group has no http_service to take it from");
                }

                var definition = type == "tcp"
                    ? TcpCheck(check, name, port ?? 8080, Bare.Milliseconds, problems, serviceBounds: false)
                    : HttpCheck(check, name, port ?? 8080, Bare.Milliseconds, problems, serviceBounds: false);

                // appconfig validation.go validateChecksSection: flaps' limits for top-level checks.
                if (check.ContainsKey("interval") && definition.IntervalSeconds < 2)
                {
                    problems.Add($"Check '{name}' interval is too short: {GoDuration.FormatGo((long)Math.Round(definition.IntervalSeconds * 1e9))}, minimum is 2 seconds");
                }

                if (check.ContainsKey("timeout") && definition.TimeoutSeconds > 60)
                {
                    problems.Add($"Check '{name}' timeout is too long: {GoDuration.FormatGo((long)Math.Round(definition.TimeoutSeconds * 1e9))}, maximum is 60 seconds");
                }

                checks.Add(definition);
            }
        }

        string? processCommand = null;
        if (Table(root, "processes") is { Count: > 0 } processes)
        {
            processCommand = processes.TryGetValue("app", out var app) ? Scalar(app) : Scalar(processes.First().Value);
        }
        else if (Table(root, "experimental") is { } experimental && experimental.TryGetValue("cmd", out var cmd))
        {
            processCommand = cmd is TomlArray array ? string.Join(' ', array.Select(Scalar)) : Scalar(cmd);
        }

        var killTimeout = Duration(root, "kill_timeout", Bare.Seconds, problems);
        if (killTimeout is null && !root.ContainsKey("kill_timeout") && Table(root, "experimental") is { } old && old.ContainsKey("kill_timeout"))
        {
            // patches.go patchExperimental: the old [experimental] kill_timeout, when the top level has none.
            killTimeout = Duration(old, "kill_timeout", Bare.Seconds, problems);
        }

        var config = new FlyConfig
        {
            Path = path,
            App = String(root, "app"),
            PrimaryRegion = String(root, "primary_region"),
            KillSignal = String(root, "kill_signal"),
            KillTimeout = killTimeout,
            Dockerfile = build is null ? null : String(build, "dockerfile"),
            BuildImage = build is null ? null : String(build, "image"),
            Env = env,
            ReleaseCommand = deploy is null ? null : String(deploy, "release_command"),
            ReleaseCommandTimeout = deploy is null ? null : Duration(deploy, "release_command_timeout", Bare.Nanoseconds, problems),
            Strategy = deploy is null ? null : String(deploy, "strategy"),
            WaitTimeout = deploy is null ? null : Duration(deploy, "wait_timeout", Bare.Nanoseconds, problems),
            InternalPort = internalPort,
            Checks = checks,
            AppProcessCommand = processCommand,
            Guest = Guest(root),
            AutoStop = scaling is null ? "off" : AutoStopOf(scaling),
            AutoStart = scaling is not null && scaling.TryGetValue("auto_start_machines", out var autoStart) && autoStart is true,
            MinMachinesRunning = scaling is null ? 0 : Int(scaling, "min_machines_running") ?? 0,
        };

        if (validate && problems.Count > 0)
        {
            // flyctl prints each line under "Validating <path>" on stdout and ends with this error.
            throw new FlyException($"App configuration is not valid: {string.Join("; ", problems)}");
        }

        return config;
    }

    /// <summary>auto_stop_machines takes a boolean (the old form) or "off", "stop", "suspend" (fly-go MachineAutostop).</summary>
    private static string AutoStopOf(TomlTable service) => service.TryGetValue("auto_stop_machines", out var value)
        ? value switch
        {
            true => "stop",
            false => "off",
            string text when text is "off" or "stop" or "suspend" => text,
            _ => throw new FlyException($"invalid autostop string value \"{value}\""),
        }
        : "off";

    private static GuestRecord Guest(TomlTable root)
    {
        var vm = Tables(root, "vm").FirstOrDefault();
        if (vm is null)
        {
            return new GuestRecord("shared", 1, 256);
        }

        var size = String(vm, "size") ?? "shared-cpu-1x";
        var (kind, cpus, memory) = PresetFor(size);
        kind = String(vm, "cpu_kind") ?? kind;
        cpus = Int(vm, "cpus") ?? cpus;
        if (vm.TryGetValue("memory", out var mem))
        {
            memory = ParseMemoryMb(Scalar(mem) ?? "") ?? memory;
        }

        memory = Int(vm, "memory_mb") ?? memory;
        return new GuestRecord(kind, cpus, memory);
    }

    public static (string Kind, int Cpus, int MemoryMb) PresetFor(string size)
    {
        var parts = size.Split('-');
        var kind = parts[0] == "performance" ? "performance" : "shared";
        var cpus = parts.Length == 3 && int.TryParse(parts[2].TrimEnd('x'), out var n) ? n : 1;
        var memory = kind == "performance" ? 2048 * cpus : 256 * cpus;
        return (kind, cpus, memory);
    }

    /// <summary>"512", "512mb", "1gb", "1GB" → megabytes.</summary>
    public static int? ParseMemoryMb(string text)
    {
        var s = text.Trim().ToLowerInvariant().Replace(" ", "");
        double factor = 1;
        if (s.EndsWith("gb") || s.EndsWith("gib"))
        {
            factor = 1024;
            s = s.TrimEnd('b', 'i').TrimEnd('g');
        }
        else if (s.EndsWith("mb") || s.EndsWith("mib"))
        {
            s = s.TrimEnd('b', 'i').TrimEnd('m');
        }

        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (int)Math.Round(value * factor)
            : null;
    }

    private static CheckDefinition HttpCheck(TomlTable check, string name, int port, Bare bare, List<string> problems, bool serviceBounds = true)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Table(check, "headers") is { } table)
        {
            foreach (var (key, value) in table)
            {
                headers[key] = Scalar(value) ?? "";
            }
        }

        var (timeout, grace, interval) = Timing(check, bare, problems, serviceBounds);
        return new CheckDefinition
        {
            Name = name,
            Type = "http",
            Port = Int(check, "port") ?? port,
            Method = (String(check, "method") ?? "GET").ToUpperInvariant(),
            Path = String(check, "path") ?? "/",
            TimeoutSeconds = timeout,
            GracePeriodSeconds = grace,
            IntervalSeconds = interval,
            Headers = headers,
        };
    }

    private static CheckDefinition TcpCheck(TomlTable check, string name, int port, Bare bare, List<string> problems, bool serviceBounds = true)
    {
        var (timeout, grace, interval) = Timing(check, bare, problems, serviceBounds);
        return new()
        {
            Name = name,
            Type = "tcp",
            Port = Int(check, "port") ?? port,
            TimeoutSeconds = timeout,
            GracePeriodSeconds = grace,
            IntervalSeconds = interval,
        };
    }

    /// <summary>
    /// A check's timeout, grace period and interval in seconds, as flyctl sends them. For service checks Fly then
    /// raises values under 1 s to 1 s (a zero grace period stays zero) and lowers those over 1 minute to 1 minute:
    /// flyctl's own warning says so (appconfig validation.go validateSingleServiceCheckDuration); the clamp itself
    /// happens on Fly's side.
    /// </summary>
    private static (double Timeout, double Grace, double Interval) Timing(TomlTable check, Bare bare, List<string> problems, bool serviceBounds)
    {
        double Seconds(string key, TimeSpan fallback, bool zeroStays)
        {
            var value = (Duration(check, key, bare, problems) ?? fallback).TotalSeconds;
            if (!serviceBounds || (zeroStays && value == 0))
            {
                return value;
            }

            return Math.Clamp(value, 1, 60);
        }

        return (Seconds("timeout", TimeSpan.FromSeconds(2), false), Seconds("grace_period", TimeSpan.Zero, true), Seconds("interval", TimeSpan.FromSeconds(15), false));
    }

    private static TomlTable? Table(TomlTable table, string key) =>
        table.TryGetValue(key, out var value) ? value as TomlTable : null;

    private static IEnumerable<TomlTable> Tables(TomlTable table, string key)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return [];
        }

        return value switch
        {
            TomlTableArray array => array.OfType<TomlTable>(),
            TomlTable single => [single],
            TomlArray array => array.OfType<TomlTable>(),
            _ => [],
        };
    }

    private static string? String(TomlTable table, string key) =>
        table.TryGetValue(key, out var value) ? Scalar(value) : null;

    private static int? Int(TomlTable table, string key)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        return value switch
        {
            long l => (int)l,
            int i => i,
            double d => (int)d,
            string s when int.TryParse(s, out var parsed) => parsed,
            _ => null,
        };
    }

    /// <summary>What flyctl does with a bare number in a duration: it depends on the section (see <see cref="Duration"/>).</summary>
    private enum Bare
    {
        /// <summary>fly-go's Duration as it is: [[http_service.checks]], [deploy] wait_timeout and release_command_timeout.</summary>
        Nanoseconds,

        /// <summary>patches.go _patchCheck: [[services.*_checks]] and [checks.*].</summary>
        Milliseconds,

        /// <summary>patches.go patchTopFields: kill_timeout.</summary>
        Seconds,
    }

    /// <summary>
    /// A fly.toml duration as flyctl reads it: strings through Go's time.ParseDuration; numbers (Go truncates a float
    /// to an integer first) in the section's unit. Where flyctl patches the section (ms, s) an empty string or a value
    /// of another type is dropped; fly-go alone refuses them, and so does a string Go cannot parse: the config is invalid.
    /// </summary>
    private static TimeSpan? Duration(TomlTable table, string key, Bare bare, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        var unit = bare switch
        {
            Bare.Milliseconds => 1_000_000L,
            Bare.Seconds => 1_000_000_000L,
            _ => 1L,
        };
        switch (value)
        {
            case long l:
                return TimeSpan.FromTicks(l * unit / 100);
            case double d when double.IsFinite(d):
                return TimeSpan.FromTicks((long)Math.Truncate(d) * unit / 100);
            case string s when s.Length == 0 && bare != Bare.Nanoseconds:
                return null;
            case string s when GoDuration.TryParseNanoseconds(s, out var nanoseconds, out _):
                return TimeSpan.FromTicks(nanoseconds / 100);
            case string s:
                GoDuration.TryParseNanoseconds(s, out _, out var why);
                problems.Add(why);
                return null;
            default:
                if (bare == Bare.Nanoseconds)
                {
                    problems.Add($"unknown duration type: {value.GetType().Name}");
                }

                return null;
        }
    }

    private static string? Scalar(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
