namespace DeployBuild.Settings;

/// <summary>The parts of fly.toml the build uses; <see cref="Document"/> keeps every key with its position.</summary>
public sealed record FlyConfig(
    string Path,
    string DisplayPath,
    string App,
    string? PrimaryRegion,
    string? Dockerfile,
    string? Image,
    IReadOnlyDictionary<string, string> Env,
    string? Strategy,
    string? ReleaseCommand,
    int? InternalPort,
    IReadOnlyList<FlyHttpCheck> HttpChecks,
    FlyVm? Vm,
    bool AutoStopMachines,
    long? MinMachinesRunning,
    TomlMap Document);

public sealed record FlyHttpCheck(string Path, string Method, TimeSpan Timeout, TimeSpan GracePeriod, TimeSpan Interval, ConfigPosition Position);

public sealed record FlyVm(string? Size, int? MemoryMb, int? Cpus);
