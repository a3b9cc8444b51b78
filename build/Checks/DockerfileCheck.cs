using System.Text.Json;
using System.Text.Json.Serialization;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>
/// "Dockerfile fonctionne": it exists, lints clean with dockerfilelint, listens on fly.toml's
/// internal_port, and (with --local-build and a Docker engine) builds.
/// </summary>
public sealed class DockerfileCheck : IPreDeployCheck
{
    public string Name => "Dockerfile";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var settings = context.Settings;
        // The file flyctl will build: [build] dockerfile is relative to fly.toml's folder, not to the backend.
        var choice = FlyDockerfile.Resolve(settings.Fly, settings.BackendPath, settings.Validate.Dockerfile);
        if (choice.Problem is { } problem)
        {
            return Done(problem.Outcome == CheckOutcome.Pass ? "not built from a local Dockerfile" : $"{choice.Display}: not checked", [problem]);
        }

        var path = choice.Path!;
        var display = choice.Display;

        var findings = new List<Finding>();
        var dockerfile = Dockerfile.Parse(await File.ReadAllTextAsync(path, cancellationToken));
        findings.AddRange(Ports(dockerfile, display, settings.Fly.InternalPort, settings.Fly.DisplayPath));
        findings.AddRange(await LintAsync(context, path, display, cancellationToken));
        findings.Add(await BuildAsync(context, path, cancellationToken));
        var problems = findings.Count(f => f.Outcome != CheckOutcome.Pass);
        return Done(problems == 0 ? $"{display} lints clean, listens on {settings.Fly.InternalPort}" : $"{problems} finding(s) in {display}", findings);

        CheckResult Done(string summary, IReadOnlyList<Finding> list) => new(Name, summary, list, DateTime.UtcNow - started);
    }

    internal static IEnumerable<Finding> Ports(Dockerfile dockerfile, string display, int? internalPort, string flyDisplay)
    {
        if (dockerfile.Command() is not { } command)
        {
            yield return Finding.Fail("no CMD: the machine would not know how to start the app", "add CMD [\"python3\", \"-m\", \"uvicorn\", \"app.main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]", display);
            yield break;
        }

        if (internalPort is null)
        {
            yield break;
        }

        var exposed = dockerfile.ExposedPorts().ToList();
        if (exposed.Count > 0 && exposed.All(p => p.Port != internalPort))
        {
            yield return Finding.Fail(
                $"EXPOSE {string.Join(", ", exposed.Select(p => p.Port))} but fly.toml's internal_port is {internalPort}",
                $"make them agree (EXPOSE {internalPort}, or internal_port in {flyDisplay})", $"{display}:{exposed[0].Line}");
        }

        var listen = Dockerfile.ListenPort(command.Words);
        if (listen is not null && listen != internalPort)
        {
            yield return Finding.Fail(
                $"CMD listens on port {listen} but fly.toml's internal_port is {internalPort}: Fly would route traffic to a closed port",
                $"make them agree (--port {internalPort} in the CMD, or internal_port in {flyDisplay})", $"{display}:{command.Line}");
        }
        else if (listen is null && !Dockerfile.UsesPortVariable(command.Words))
        {
            yield return Finding.Warn(
                "the CMD names no port: cannot check it matches internal_port", $"pass --port {internalPort} (or read $PORT) explicitly", $"{display}:{command.Line}");
        }
    }

    private static async Task<IEnumerable<Finding>> LintAsync(CheckContext context, string path, string display, CancellationToken cancellationToken)
    {
        var lint = await context.Tools.ResolveAsync("dockerfilelint");
        var result = await context.Commands.RunAsync(new Command(lint, ["-o", "json", path])
        {
            Stream = false,
            SuccessCodes = Enumerable.Range(0, 64).ToList(),
            Timeout = TimeSpan.FromMinutes(1),
            DisplayName = "dockerfilelint",
        }, cancellationToken);

        var report = JsonSerializer.Deserialize<LintReport>(result.StandardOutput.Trim() is { Length: > 0 } json ? json : "{}");
        var failOn = context.Settings.Validate.DockerfileLintFailOn.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return (report?.Files ?? []).SelectMany(f => f.Issues ?? [])
            .Select(i =>
            {
                var message = $"dockerfilelint [{i.Category}] {i.Title}: {i.Description?.Split('\n')[0]}";
                var location = $"{display}:{i.Line}";
                return failOn.Contains(i.Category ?? string.Empty)
                    ? Finding.Fail(message, "fix the instruction, or drop the category from validate.dockerfilelint_fail_on", location)
                    : Finding.Warn(message, null, location);
            })
            .ToList();
    }

    private static async Task<Finding> BuildAsync(CheckContext context, string path, CancellationToken cancellationToken)
    {
        if (!context.LocalBuild)
        {
            return Finding.Info("the image is built remotely by Fly's builder (flyctl deploy --remote-only); pass --local-build to build it here first");
        }

        if (CommandRunner.TryResolve("docker") is null)
        {
            return Finding.Fail("--local-build, but docker is not installed", ToolHints.For("docker"));
        }

        try
        {
            await context.Commands.RunAsync(new Command("docker", ["info", "--format", "{{.ServerVersion}}"]) { Stream = false, Timeout = TimeSpan.FromSeconds(15) }, cancellationToken);
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            return Finding.Fail("--local-build, but no Docker engine is reachable", "start Docker, or deploy without --local-build (Fly builds remotely)");
        }

        await context.Commands.RunAsync(new Command("docker", ["build", "-f", path, "-t", $"{context.Settings.App}:validate", context.Settings.BackendPath])
        {
            Stream = true,
            Timeout = context.Settings.Budgets.Build * 2,
            DisplayName = "docker build",
        }, cancellationToken);
        return Finding.Info("docker build succeeded");
    }

    private sealed record LintReport([property: JsonPropertyName("files")] List<LintFile>? Files);

    private sealed record LintFile([property: JsonPropertyName("issues")] List<LintIssue>? Issues);

    private sealed record LintIssue(
        [property: JsonPropertyName("line")] string? Line,
        [property: JsonPropertyName("category")] string? Category,
        [property: JsonPropertyName("title")] string? Title,
        [property: JsonPropertyName("description")] string? Description);
}
