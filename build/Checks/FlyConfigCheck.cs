using System.Text.Json;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>"fly.toml configuré correctement": Fly's semantics, against the backend's routes and the app's machines.</summary>
public sealed class FlyConfigCheck : IPreDeployCheck
{
    private const string RoutesScript =
        """
        import importlib, json, sys
        sys.path.insert(0, ".")
        module, _, attribute = sys.argv[1].partition(":")
        app = getattr(importlib.import_module(module), attribute or "app")
        print(json.dumps(sorted({r.path for r in getattr(app, "routes", []) if getattr(r, "path", None)})))
        """;

    public string Name => "fly.toml";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var settings = context.Settings;
        var notes = new List<Finding>();
        var served = await ServedPathsAsync(context, notes, cancellationToken);
        var machines = await MachineCountAsync(context, cancellationToken);

        var findings = FlyTomlValidator.Validate(new FlyTomlInput(settings.Fly, settings.App, context.Strategy, machines, served, settings.Fly.Env))
            .Concat(notes)
            .ToList();
        var problems = findings.Count(f => f.Outcome != CheckOutcome.Pass);
        var summary = problems == 0 ? $"{settings.Fly.DisplayPath} fits {settings.App}" : $"{problems} finding(s)";
        return new CheckResult(Name, summary, findings, DateTime.UtcNow - started);
    }

    /// <summary>The paths the backend's ASGI app routes, from the module its Dockerfile CMD starts; null when unknown.</summary>
    private static async Task<IReadOnlyCollection<string>?> ServedPathsAsync(CheckContext context, List<Finding> notes, CancellationToken cancellationToken)
    {
        var dockerfilePath = FlyDockerfile.Resolve(context.Settings.Fly, context.Settings.BackendPath, context.Settings.Validate.Dockerfile).Path;
        if (dockerfilePath is null || !File.Exists(dockerfilePath) || Dockerfile.Parse(await File.ReadAllTextAsync(dockerfilePath, cancellationToken)).Command() is not { } command)
        {
            return null;
        }

        var target = command.Words.FirstOrDefault(w => w.Contains(':') && !w.Contains('/') && !w.StartsWith('-') && char.IsLetter(w[0]));
        if (target is null)
        {
            notes.Add(Finding.Info("the Dockerfile CMD names no ASGI app (module:attribute): health check paths not checked against the routes"));
            return null;
        }

        var python = ShellWords.Split(context.Settings.Validate.Python);
        try
        {
            var result = await context.Commands.RunAsync(new Command(python[0], [.. python.Skip(1), "-c", RoutesScript, target])
            {
                WorkingDirectory = context.Settings.BackendPath,
                Environment = new Dictionary<string, string?>
                {
                    ["PYTHONDONTWRITEBYTECODE"] = "1",
                    [context.Settings.Database.UrlEnv] = null,
                    ["DATABASE_URL"] = null,
                },
                Stream = false,
                Timeout = TimeSpan.FromMinutes(1),
                DisplayName = "list the backend's routes",
            }, cancellationToken);
            return JsonSerializer.Deserialize<List<string>>(result.OutputLines.LastOrDefault() ?? "[]");
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException or JsonException)
        {
            notes.Add(Finding.Info($"could not list the routes of {target} (health check paths not checked): {ex.Message.Split('\n').Last().Trim(' ', '|')}"));
            return null;
        }
    }

    private static async Task<int?> MachineCountAsync(CheckContext context, CancellationToken cancellationToken)
    {
        try
        {
            var status = await context.Fly.StatusAsync(cancellationToken);
            return status.Machines?.Count(m => m.Config?.Metadata?.ProcessGroup is null or "app");
        }
        catch (Exception ex) when (ex is CommandFailedException or ToolNotFoundException or JsonException)
        {
            return null;
        }
    }
}
