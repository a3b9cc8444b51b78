namespace DeployBuild.Settings;

/// <summary>One mistake in a config file: where, what, and how to fix it.</summary>
public sealed record ConfigError(ConfigPosition Position, string Message, string? Hint)
{
    public override string ToString() => Hint is null ? $"{Position}: {Message}" : $"{Position}: {Message} ({Hint})";
}

/// <summary>Every mistake found in the config at once, so a user fixes them in one go.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(Format(errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 1
            ? $"Configuration error: {errors[0]}"
            : $"{errors.Count} configuration errors:{Environment.NewLine}" +
              string.Join(Environment.NewLine, errors.Select(e => $"  {e}"));
}
