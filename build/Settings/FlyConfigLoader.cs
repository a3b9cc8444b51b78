using System.Globalization;
using System.Text.RegularExpressions;

namespace DeployBuild.Settings;

/// <summary>
/// Reads fly.toml. Only syntax, a missing <c>app</c> and wrong types of the keys the build uses
/// are errors here; Fly's own semantics (sections, checks attached to services...) are Validate's job.
/// </summary>
public static partial class FlyConfigLoader
{
    public static FlyConfig Load(string path, string displayPath)
    {
        var document = TomlDocument.Load(path, displayPath);
        var errors = new List<ConfigError>();
        var top = new ConfigReader(document, string.Empty, errors);

        var app = top.RequiredString("app", "set app = \"<fly app name>\"");
        var region = top.OptionalString("primary_region");

        var build = top.Section("build");
        var dockerfile = build.OptionalString("dockerfile");
        var image = build.OptionalString("image");

        var env = top.Section("env").StringMap();

        var deploy = top.Section("deploy");
        var strategy = deploy.Has("strategy") ? deploy.Choice("strategy", "immediate", SettingsLoader.Strategies) : null;
        var releaseCommand = deploy.OptionalString("release_command");

        var checks = new List<FlyHttpCheck>();
        int? internalPort = null;
        bool autoStop = false;
        long? minRunning = null;

        if (top.Has("http_service"))
        {
            var http = top.Section("http_service");
            internalPort = (int)http.Integer("internal_port", 8080, 1, 65535);
            autoStop = AutoStop(http);
            minRunning = http.Has("min_machines_running") ? http.Integer("min_machines_running", 0, 0, 1000) : null;
            checks.AddRange(http.Sections("checks").Select(c => HttpCheck(c, FlyBareNumber.Nanoseconds)));
        }

        if (document.TryGet("services", out var services, out _) && services is TomlList)
        {
            foreach (var service in top.Sections("services"))
            {
                if (internalPort is null && service.Has("internal_port"))
                {
                    internalPort = (int)service.Integer("internal_port", 8080, 1, 65535);
                    autoStop = AutoStop(service);
                    minRunning = service.Has("min_machines_running") ? service.Integer("min_machines_running", 0, 0, 1000) : null;
                }

                checks.AddRange(service.Sections("http_checks").Select(c => HttpCheck(c, FlyBareNumber.Milliseconds)));
            }
        }

        if (document.TryGet("checks", out var topChecks, out _) && topChecks is TomlMap checkMap)
        {
            foreach (var (name, _, node) in checkMap.Entries)
            {
                if (node is TomlMap check && check.TryGet("type", out var type, out _) && type is TomlScalar { Value: "http" })
                {
                    checks.Add(HttpCheck(new ConfigReader(check, $"checks.{name}", errors), FlyBareNumber.Milliseconds));
                }
            }
        }

        FlyVm? vm = null;
        var vms = top.Sections("vm");
        if (vms.Count > 0)
        {
            var first = vms[0];
            vm = new FlyVm(first.OptionalString("size"), Memory(first), first.Has("cpus") ? (int)first.Integer("cpus", 1, 1, 64) : null);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return new FlyConfig(path, displayPath, app, region, dockerfile, image, env, strategy, releaseCommand,
            internalPort, checks, vm, autoStop, minRunning, document);
    }

    // A bare number is nanoseconds under [[http_service.checks]] and milliseconds under [[services.http_checks]]
    // and [checks.*] (flyctl patches only those two); strings are Go durations.
    private static FlyHttpCheck HttpCheck(ConfigReader check, FlyBareNumber bare) => new(
        check.String("path", "/"),
        check.String("method", "GET").ToUpperInvariant(),
        CheckDuration(check, "timeout", TimeSpan.FromSeconds(2), bare),
        CheckDuration(check, "grace_period", TimeSpan.Zero, bare),
        CheckDuration(check, "interval", TimeSpan.FromSeconds(15), bare),
        check.Position);

    private static TimeSpan CheckDuration(ConfigReader check, string key, TimeSpan fallback, FlyBareNumber bare)
    {
        if (check.Raw(key) is not { } node)
        {
            return fallback;
        }

        // A value flyctl cannot read is Validate's to report (with its place and the fix); here it keeps the default.
        return FlyDurations.Read(node, bare) is { Error: null, TimeSpan: { } value } ? value : fallback;
    }

    // auto_stop_machines is a boolean in older fly.toml files and "off"/"stop"/"suspend" in newer ones.
    private static bool AutoStop(ConfigReader service)
    {
        switch (service.Raw("auto_stop_machines"))
        {
            case null:
                return false;
            case TomlScalar { Value: bool b }:
                return b;
            case TomlScalar { Value: string s } when s is "off" or "stop" or "suspend":
                return s != "off";
            default:
                service.Error("auto_stop_machines", "auto_stop_machines must be true, false, \"off\", \"stop\" or \"suspend\"", null);
                return false;
        }
    }

    private static int? Memory(ConfigReader vm)
    {
        if (vm.Has("memory_mb"))
        {
            return (int)vm.Integer("memory_mb", 256, 128, 1024 * 1024);
        }

        switch (vm.Raw("memory"))
        {
            case null:
                return null;
            case TomlScalar { Value: long mb }:
                return (int)mb;
            case TomlScalar { Value: string text } when MemoryPattern().Match(text.Trim()) is { Success: true } match:
                var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                var unit = match.Groups[2].Value.ToLowerInvariant();
                return (int)(unit.StartsWith('g') ? amount * 1024 : amount);
            default:
                vm.Error("memory", "memory is not a size", "write it like \"512mb\" or \"1gb\"");
                return null;
        }
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(mb|m|gb|g|mib|gib)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MemoryPattern();
}
