using FlySim.Cli;
using FlySim.Config;
using FlySim.State;

namespace FlySim.Commands;

/// <summary>What every platform command needs: the state folder, the app it targets, the session checks.</summary>
internal sealed class CommandContext(Invocation invocation, StateStore store)
{
    public Invocation Invocation { get; } = invocation;

    public StateStore Store { get; } = store;

    public TextWriter Out => Invocation.Out;

    public TextWriter Err => Invocation.Err;

    public static UserRecord CurrentUser()
    {
        var email = Environment.GetEnvironmentVariable("FLYSIM_USER_EMAIL");
        if (string.IsNullOrWhiteSpace(email))
        {
            email = "deployer@flysim.local";
        }

        var name = Environment.GetEnvironmentVariable("FLYSIM_USER_NAME");
        return new UserRecord("flysim-user", email, string.IsNullOrWhiteSpace(name) ? "Flysim Deployer" : name);
    }

    /// <summary>The session checks flyctl makes before talking to the API, plus the API-error fault.</summary>
    public async Task PreflightAsync(CancellationToken cancellationToken)
    {
        if (Faults.IsUnauthenticated(Store))
        {
            throw new FlyException("no access token available. Please login with 'flyctl auth login'");
        }

        await Faults.ThrowIfApiErrorAsync(Store, Invocation.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>fly.toml from <c>-c</c> (file or folder), else from <paramref name="defaultDir"/>; -c must exist.</summary>
    public FlyConfig? LoadConfig(string? defaultDir = null)
    {
        var flag = Invocation.String("config");
        var path = FlyToml.ResolvePath(flag, defaultDir ?? Directory.GetCurrentDirectory());
        if (!File.Exists(path))
        {
            if (!string.IsNullOrEmpty(flag))
            {
                throw new FlyException($"failed loading app config from {path}: open {path}: no such file or directory");
            }

            return null;
        }

        return FlyToml.Load(path, validate: false);
    }

    public string AppName(FlyConfig? config)
    {
        var name = Invocation.String("app");
        if (string.IsNullOrWhiteSpace(name))
        {
            name = Environment.GetEnvironmentVariable("FLY_APP");
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            name = config?.App;
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            throw new FlyException("the config for your app is missing an app name, add an app field to the fly.toml file or specify with the -a flag");
        }

        return name;
    }

    /// <summary>Resolves the target app for commands that operate on an existing one.</summary>
    public AppRecord RequireApp(string? messagePrefix = null)
    {
        var name = AppName(LoadConfig());
        return Store.ReadApp(name) ?? throw new FlyException($"{messagePrefix}Could not find App \"{name}\"");
    }

    public bool RequireYes(string what)
    {
        if (Invocation.Bool("yes") || Invocation.Bool("auto-confirm"))
        {
            return true;
        }

        if (Console.IsInputRedirected)
        {
            throw new FlyException($"--yes flag must be specified when not running interactively ({what})");
        }

        Out.Write($"? {what} (y/N) ");
        Out.Flush();
        var answer = Invocation.In.ReadLine()?.Trim().ToLowerInvariant();
        return answer is "y" or "yes";
    }
}
