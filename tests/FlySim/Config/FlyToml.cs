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

    public static FlyConfig? TryLoad(string path) => File.Exists(path) ? Load(path) : null;

    public static FlyConfig Load(string path)
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
            root = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException ex)
        {
            throw new FlyException($"failed loading app config from {path}: {ex.Message}");
        }

        return Parse(root, path);
    }

    internal static FlyConfig Parse(TomlTable root, string path)
    {
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

        if (Table(root, "http_service") is { } httpService)
        {
            scaling = httpService;
            internalPort = Int(httpService, "internal_port") ?? 8080;
            foreach (var check in Tables(httpService, "checks"))
            {
                checks.Add(HttpCheck(check, $"servicecheck-{index++:00}-http-{internalPort}", internalPort.Value));
            }
        }

        foreach (var service in Tables(root, "services"))
        {
            scaling ??= service;
            var port = Int(service, "internal_port") ?? internalPort ?? 8080;
            internalPort ??= port;
            foreach (var check in Tables(service, "http_checks"))
            {
                checks.Add(HttpCheck(check, $"servicecheck-{index++:00}-http-{port}", port));
            }

            foreach (var check in Tables(service, "tcp_checks"))
            {
                checks.Add(TcpCheck(check, $"servicecheck-{index++:00}-tcp-{port}", port));
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

                var port = Int(check, "port") ?? internalPort ?? 8080;
                var type = (String(check, "type") ?? "http").ToLowerInvariant();
                checks.Add(type == "tcp" ? TcpCheck(check, name, port) : HttpCheck(check, name, port));
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

        return new FlyConfig
        {
            Path = path,
            App = String(root, "app"),
            PrimaryRegion = String(root, "primary_region"),
            KillSignal = String(root, "kill_signal"),
            KillTimeout = Duration(root, "kill_timeout", numbersAreSeconds: true),
            Dockerfile = build is null ? null : String(build, "dockerfile"),
            BuildImage = build is null ? null : String(build, "image"),
            Env = env,
            ReleaseCommand = deploy is null ? null : String(deploy, "release_command"),
            ReleaseCommandTimeout = deploy is null ? null : Duration(deploy, "release_command_timeout", numbersAreSeconds: true),
            Strategy = deploy is null ? null : String(deploy, "strategy"),
            WaitTimeout = deploy is null ? null : Duration(deploy, "wait_timeout", numbersAreSeconds: true),
            InternalPort = internalPort,
            Checks = checks,
            AppProcessCommand = processCommand,
            Guest = Guest(root),
            AutoStop = scaling is null ? "off" : AutoStopOf(scaling),
            AutoStart = scaling is not null && scaling.TryGetValue("auto_start_machines", out var autoStart) && autoStart is true,
            MinMachinesRunning = scaling is null ? 0 : Int(scaling, "min_machines_running") ?? 0,
        };
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

    private static CheckDefinition HttpCheck(TomlTable check, string name, int port)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Table(check, "headers") is { } table)
        {
            foreach (var (key, value) in table)
            {
                headers[key] = Scalar(value) ?? "";
            }
        }

        return new CheckDefinition
        {
            Name = name,
            Type = "http",
            Port = Int(check, "port") ?? port,
            Method = (String(check, "method") ?? "GET").ToUpperInvariant(),
            Path = String(check, "path") ?? "/",
            TimeoutSeconds = (Duration(check, "timeout", numbersAreSeconds: false) ?? TimeSpan.FromSeconds(2)).TotalSeconds,
            GracePeriodSeconds = (Duration(check, "grace_period", numbersAreSeconds: false) ?? TimeSpan.Zero).TotalSeconds,
            IntervalSeconds = (Duration(check, "interval", numbersAreSeconds: false) ?? TimeSpan.FromSeconds(15)).TotalSeconds,
            Headers = headers,
        };
    }

    private static CheckDefinition TcpCheck(TomlTable check, string name, int port) => new()
    {
        Name = name,
        Type = "tcp",
        Port = Int(check, "port") ?? port,
        TimeoutSeconds = (Duration(check, "timeout", numbersAreSeconds: false) ?? TimeSpan.FromSeconds(2)).TotalSeconds,
        GracePeriodSeconds = (Duration(check, "grace_period", numbersAreSeconds: false) ?? TimeSpan.Zero).TotalSeconds,
        IntervalSeconds = (Duration(check, "interval", numbersAreSeconds: false) ?? TimeSpan.FromSeconds(15)).TotalSeconds,
    };

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

    /// <summary>Strings are Go durations; bare numbers are milliseconds in check tables and seconds elsewhere.</summary>
    private static TimeSpan? Duration(TomlTable table, string key, bool numbersAreSeconds)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        switch (value)
        {
            case long l:
                return numbersAreSeconds ? TimeSpan.FromSeconds(l) : TimeSpan.FromMilliseconds(l);
            case double d:
                return numbersAreSeconds ? TimeSpan.FromSeconds(d) : TimeSpan.FromMilliseconds(d);
            case string s when GoDuration.TryParse(s, out var parsed):
                return parsed;
            case string s:
                throw new FlyException($"invalid duration \"{s}\" for {key}");
            default:
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
