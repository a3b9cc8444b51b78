using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Config;
using FlySim.Images;
using FlySim.Output;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary><c>flyctl deploy</c>: build (snapshot) or reuse an image, run release_command, roll machines out, record the release.</summary>
internal static class DeployCommand
{
    private static readonly string[] Strategies = ["immediate", "rolling", "canary", "bluegreen"];

    public static readonly IReadOnlyList<FlagSpec> Flags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("strategy", Description: "The strategy for replacing running instances. Options are canary, rolling, bluegreen, or immediate."),
        new("image", 'i', Description: "The Docker image to deploy"),
        new("image-label", Description: "Image label to use when tagging and pushing to the fly registry."),
        new("dockerfile", Description: "Path to a Dockerfile."),
        new("remote-only", IsBool: true, Description: "Perform builds on a remote builder instance instead of using the local docker daemon."),
        new("local-only", IsBool: true, Description: "Only perform builds locally using the local docker daemon"),
        new("wait-timeout", Description: "Time duration to wait for individual machines to transition states and become healthy. (default 5m0s)"),
        new("release-command-timeout", Description: "Time duration to wait for a release command finish running"),
        new("skip-release-command", IsBool: true, Description: "Do not run the release command during deployment."),
        new("detach", IsBool: true, Description: "Return immediately instead of monitoring deployment progress"),
        new("yes", 'y', IsBool: true, Description: "Accept all confirmations"),
        new("auto-confirm", IsBool: true, Hidden: true),
        new("now", IsBool: true, Description: "Deploy now without confirmation"),
        new("ha", IsBool: true, Description: "Create spare machines that increases app availability (default true)"),
        new("no-cache", IsBool: true, Description: "Do not use the build cache when building the image"),
        new("build-arg", Description: "Set of build time variables in the form of NAME=VALUE pairs."),
        new("env", 'e', Description: "Set of environment variables in the form of NAME=VALUE pairs."),
        new("region", 'r', Description: "The target region"),
        new("primary-region", Description: "Override primary region in fly.toml configuration."),
        new("build-only", IsBool: true, Description: "Build but do not deploy"),
        new("push", IsBool: true, Description: "Push image to registry after build is complete"),
    ];

    public static async Task<int> RunAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var store = StateStore.FromEnvironment();
        var context = new CommandContext(invocation, store);
        var output = invocation.Out;

        var workDir = Path.GetFullPath(invocation.Args.Count > 0 ? invocation.Args[0] : Directory.GetCurrentDirectory());
        if (!Directory.Exists(workDir))
        {
            throw new FlyException($"stat {workDir}: no such file or directory");
        }

        var configPath = FlyToml.ResolvePath(invocation.String("config"), workDir);

        // Text blocks go to stderr (internal/render/render.go, NewTextBlock): "Verifying app config"
        // (deploy.go) and the build's (deploy_build.go, internal/build/imgsrc/*: "Building image done",
        // "Pushing image to fly", "Searching for image", "image found"). The deploy's progress is on stdout.
        invocation.Err.WriteLine("==> Verifying app config");
        if (!File.Exists(configPath))
        {
            throw new FlyException($"failed loading app config from {configPath}: open {configPath}: no such file or directory");
        }

        var config = FlyToml.Load(configPath);
        var appName = context.AppName(config);
        invocation.Err.WriteLine($"Validating {configPath}");
        invocation.Err.WriteLine("✓ Configuration is valid");
        invocation.Err.WriteLine("--> Verified app config");
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);

        var strategy = (invocation.String("strategy") ?? config.Strategy ?? "rolling").ToLowerInvariant();
        if (!Strategies.Contains(strategy))
        {
            throw new FlyException($"unsupported deployment strategy '{strategy}', use one of: {string.Join(", ", Strategies)}");
        }

        var waitTimeout = invocation.String("wait-timeout") is { } waitText
            ? GoDuration.ParseFlag("wait-timeout", waitText)
            : config.WaitTimeout ?? TimeSpan.FromMinutes(5);
        var releaseTimeout = invocation.String("release-command-timeout") is { } releaseText
            ? GoDuration.ParseFlag("release-command-timeout", releaseText)
            : config.ReleaseCommandTimeout ?? TimeSpan.FromMinutes(5);

        using var lease = FileLock.TryAcquire(store.LeasePath(appName))
            ?? throw new FlyException($"failed to acquire leases: app {appName} is being deployed by another flyctl ({FileLock.ReadOwner(store.LeasePath(appName))})");
        FileLock.WriteOwner(store.LeasePath(appName), $"pid {Environment.ProcessId} on {Environment.MachineName} since {Render.Time(DateTimeOffset.UtcNow)}");

        await MarkInterruptedReleasesAsync(store, appName, cancellationToken).ConfigureAwait(false);

        var (image, imageRef) = await BuildOrFindImageAsync(invocation, context, config, appName, workDir, cancellationToken).ConfigureAwait(false);
        if (invocation.Bool("build-only"))
        {
            return 0;
        }

        var dockerConfig = Dockerfile.Parse(image.DockerfileText);
        var envOverrides = ParseEnvFlags(invocation.All("env"));

        output.WriteLine();
        output.WriteLine($"Watch your deployment at https://fly.io/apps/{appName}/monitoring");
        output.WriteLine();

        var app = store.ReadApp(appName);
        var releases = store.ReadReleases(appName);
        var version = releases.Count == 0 ? 1 : releases.Max(r => r.Version) + 1;
        var region = invocation.String("primary-region") ?? invocation.String("region") ?? config.PrimaryRegion ?? app?.PrimaryRegion ?? "iad";

        MachineSpec SpecFor(MachineRecord? current) => new()
        {
            ImageId = image.Id,
            ImageRef = imageRef,
            ImageDigest = image.Digest,
            Command = config.AppProcessCommand is { } processCommand ? ShellWords.Split(processCommand) : [.. dockerConfig.Command],
            ShellForm = config.AppProcessCommand is null && dockerConfig.ShellForm,
            InternalPort = config.InternalPort,
            ImageEnv = new Dictionary<string, string>(dockerConfig.Env, StringComparer.Ordinal),
            Env = Merge(config.Env, envOverrides),
            Checks = config.Checks,
            Guest = current?.Spec.Guest ?? (app?.MemoryMb is { } memory ? config.Guest with { MemoryMb = memory } : config.Guest),
            ReleaseVersion = version,
            KillSignal = config.KillSignal ?? "SIGINT",
            KillTimeoutSeconds = config.KillTimeout?.TotalSeconds ?? 5,
            AutoStop = config.AutoStop,
            AutoStart = config.AutoStart,
            MinMachinesRunning = config.MinMachinesRunning,
        };

        // flyctl creates the release before it runs release_command (machines.go: createReleaseInBackend in
        // NewMachineDeployment; deployMachinesApp runs the command later), so a failed command leaves a
        // failed release behind (machines_deploymachinesapp.go, the status switch after deployMachinesApp).
        app = await EnsureAppAsync(store, appName, region, cancellationToken).ConfigureAwait(false);
        var release = new ReleaseRecord
        {
            Id = Ids.Release(),
            Version = version,
            Status = "running",
            ImageRef = imageRef,
            CreatedAt = DateTimeOffset.UtcNow,
            User = CommandContext.CurrentUser(),
            Strategy = strategy,
            Description = "Release",
            Reason = "deploy",
            DeployerPid = Environment.ProcessId,
            ConfigDefinition = ConfigDefinition.FromFile(configPath, appName).ToJsonString(),
        };
        await SaveReleaseAsync(store, appName, release, cancellationToken).ConfigureAwait(false);

        if (!invocation.Bool("skip-release-command") && !string.IsNullOrWhiteSpace(config.ReleaseCommand))
        {
            var probe = Fleet.NewMachine(SpecFor(null), region);
            try
            {
                await RunReleaseCommandAsync(store, app, appName, probe, config.ReleaseCommand!, new ImageStore(store).RootFs(image.Id), releaseTimeout, output, cancellationToken).ConfigureAwait(false);
            }
            catch (FlyException)
            {
                await FinishReleaseAsync(store, appName, release, "failed", cancellationToken).ConfigureAwait(false);
                throw;
            }
        }

        if (Faults.IsTruthy(await Faults.TakeAsync(store, Faults.StaleImage, cancellationToken).ConfigureAwait(false)))
        {
            // The release is recorded but no machine is touched, as when flyctl finds no machines it
            // may update (a process-group mismatch, machines leased elsewhere) and still reports success.
            output.WriteLine($"Updating existing machines in '{appName}' with {strategy} strategy");
            output.WriteLine("  Finished deploying");
            await FinishReleaseAsync(store, appName, release, "complete", cancellationToken).ConfigureAwait(false);
            await MarkDeployedAsync(store, app, cancellationToken).ConfigureAwait(false);
            PrintVisit(output, app);
            return 0;
        }

        var flaky = ToInt(await Faults.TakeAsync(store, Faults.FlakyChecks, cancellationToken).ConfigureAwait(false));
        var supervisor = await SupervisorClient.EnsureAsync(store, cancellationToken).ConfigureAwait(false);
        var fleet = new Fleet(store, supervisor, app);
        await fleet.StopUnrecordedInstancesAsync(cancellationToken).ConfigureAwait(false);
        var rollout = new Rollout(fleet, output, waitTimeout, wait: !invocation.Bool("detach"), flaky, strategy);
        var existing = fleet.Machines().Where(m => m.State != "destroyed").ToList();
        var injectedLogs = await Faults.TakeAsync(store, Faults.InjectLogs, cancellationToken).ConfigureAwait(false);

        string? error;
        try
        {
            error = existing.Count == 0
                ? await rollout.LaunchNewAsync(() => SpecFor(null), Math.Max(1, app.MachineCount), region, cancellationToken).ConfigureAwait(false)
                : await rollout.UpdateAsync(existing, m => SpecFor(m), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            InjectLogs(store, appName, injectedLogs, rollout.StartedMachineIds.FirstOrDefault() ?? existing.FirstOrDefault()?.Id, region);
        }

        if (error is not null)
        {
            await FinishReleaseAsync(store, appName, release, "failed", cancellationToken).ConfigureAwait(false);
            throw new FlyException(error);
        }

        await FinishReleaseAsync(store, appName, release, "complete", cancellationToken).ConfigureAwait(false);
        await MarkDeployedAsync(store, app, cancellationToken).ConfigureAwait(false);
        if (Faults.IsTruthy(await Faults.TakeAsync(store, Faults.AutoStopAfterDeploy, cancellationToken).ConfigureAwait(false)))
        {
            // Fly stops only a machine that has been up and idle: let the new ones start and pass their checks first.
            await fleet.WaitHealthyAsync([.. fleet.Machines().Where(m => m.State == "started")], DateTime.UtcNow + waitTimeout, cancellationToken).ConfigureAwait(false);
            await fleet.AutoStopAsync(cancellationToken).ConfigureAwait(false);
        }

        output.WriteLine("  Finished deploying");
        PrintVisit(output, app);

        var exitNode = await Faults.TakeAsync(store, Faults.DeployExitCode, cancellationToken).ConfigureAwait(false);
        if (exitNode is not null)
        {
            var message = await Faults.TakeAsync(store, Faults.DeployExitMessage, cancellationToken).ConfigureAwait(false);
            var code = ToInt(exitNode);
            throw new FlyException(
                message?.ToString() ?? $"failed to update machine {rollout.StartedMachineIds.FirstOrDefault()}: context deadline exceeded",
                code == 0 ? 1 : code);
        }

        return 0;
    }

    private static async Task<(ImageRecord Image, string Reference)> BuildOrFindImageAsync(Invocation invocation, CommandContext context, FlyConfig config, string appName, string workDir, CancellationToken cancellationToken)
    {
        var output = invocation.Out;
        var store = context.Store;
        var images = new ImageStore(store);

        // flyctl prints the build's text block on stderr (deploy_build.go: render.NewTextBlock, whose
        // writer is the error stream in internal/render/render.go), "image:" line included.
        var block = invocation.Err;
        block.WriteLine("==> Building image");
        if (invocation.String("image") is { } requested)
        {
            block.WriteLine($"Searching for image '{requested}' remotely...");
            var found = images.Resolve(requested)
                ?? throw new FlyException($"failed to fetch an image or build from source: Could not find image \"{requested}\"");
            var normalized = requested.Split("@sha256:")[0];
            var reference = found.Refs.Contains(normalized) ? normalized
                : found.Refs.Contains($"{ImageStore.Registry}/{normalized}") ? $"{ImageStore.Registry}/{normalized}"
                : found.Refs[0];
            block.WriteLine($"image found: {found.Digest}");
            block.WriteLine($"image: {reference}");
            block.WriteLine($"image size: {FormatSize(found.Size)}");
            return (found, reference);
        }

        if (config.BuildImage is { } prebuilt)
        {
            throw new FlyException($"failed to fetch an image or build from source: the simulator cannot pull \"{prebuilt}\"; deploy from a Dockerfile or an image it built");
        }

        var slow = ToDouble(await Faults.TakeAsync(store, Faults.SlowBuildSeconds, cancellationToken).ConfigureAwait(false));
        var failure = await Faults.TakeAsync(store, Faults.BuildFailure, cancellationToken).ConfigureAwait(false);
        block.WriteLine(invocation.Bool("local-only") ? "==> Building image with Docker" : "Remote builder fly-builder-flysim ready");
        if (slow > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(slow), cancellationToken).ConfigureAwait(false);
        }

        if (Faults.IsTruthy(failure))
        {
            var text = failure is JsonValue value && value.TryGetValue<string>(out var message) && message.Length > 0
                ? message
                : "failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successfully: exit code: 1";
            throw new FlyException($"failed to fetch an image or build from source: error building: {text}");
        }

        var dockerfilePath = invocation.String("dockerfile") is { } flagPath
            ? Path.GetFullPath(flagPath)
            : config.Dockerfile is { } fromConfig
                ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(config.Path)!, fromConfig))
                : Path.Combine(workDir, "Dockerfile");
        if (!File.Exists(dockerfilePath))
        {
            throw new FlyException("failed to fetch an image or build from source: app does not have a Dockerfile or buildpacks configured. See https://fly.io/docs/reference/configuration/#the-build-section");
        }

        var dockerfileText = await File.ReadAllTextAsync(dockerfilePath, cancellationToken).ConfigureAwait(false);
        Dockerfile.Parse(dockerfileText);
        var label = invocation.String("image-label") is { Length: > 0 } imageLabel ? imageLabel : "deployment-" + Ids.Ulid();
        var built = $"{ImageStore.Registry}/{appName}:{label}";
        var image = await images.BuildAsync(appName, workDir, dockerfileText, built, cancellationToken).ConfigureAwait(false);
        block.WriteLine("--> Building image done");
        block.WriteLine("==> Pushing image to fly");
        block.WriteLine($"{label}: digest: {image.Digest} size: {image.Size}");
        block.WriteLine("--> Pushing image done");
        block.WriteLine($"image: {built}");
        block.WriteLine($"image size: {FormatSize(image.Size)}");
        return (image, built);
    }

    /// <summary>Runs release_command once, as Fly does in a temporary machine; failure aborts the deploy before anything changes.</summary>
    private static async Task RunReleaseCommandAsync(StateStore store, AppRecord? app, string appName, MachineRecord probe, string command, string rootFs, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken)
    {
        output.WriteLine($"Running {appName} release_command: {command}");
        var words = ShellWords.Split(command);
        if (words.Count == 0)
        {
            throw new FlyException("release command failed - aborting deployment. release_command is empty");
        }

        var envApp = app ?? new AppRecord { Name = appName, Id = appName, PublicPort = 0, CreatedAt = DateTimeOffset.UtcNow };
        var info = new ProcessStartInfo(words[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = rootFs,
        };
        foreach (var word in words.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        info.Environment.Clear();
        foreach (var (key, value) in Fleet.MachineEnvironment(store, envApp, probe, port: null, releaseCommand: true))
        {
            info.Environment[key] = value;
        }

        var lines = new List<LogEntry>();
        var gate = new Lock();
        void Capture(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                output.WriteLine("  " + line);
                lines.Add(new LogEntry { Timestamp = LogFormat.Timestamp(DateTimeOffset.UtcNow), Message = line, Instance = probe.Id, Region = probe.Region });
            }
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FlyException($"release command failed - aborting deployment. error release_command machine {probe.Id}: {words[0]}: {ex.Message}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new FlyException($"release command failed - aborting deployment. error release_command machine {probe.Id} timed out after {GoDuration.Format(timeout)}");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (app is not null)
        {
            store.AppendLogs(appName, lines);
        }

        if (process.ExitCode != 0)
        {
            throw new FlyException($"release command failed - aborting deployment. error release_command machine {probe.Id} exited with non-zero status of {process.ExitCode}");
        }

        output.WriteLine($"  release_command {probe.Id} completed successfully");
    }

    public static async Task<AppRecord> EnsureAppAsync(StateStore store, string appName, string region, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        if (store.ReadApp(appName) is { } existing)
        {
            return existing;
        }

        var created = AppsCommands.NewApp(appName, region);
        store.WriteApp(created);
        return created;
    }

    private static async Task MarkInterruptedReleasesAsync(StateStore store, string appName, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var releases = store.ReadReleases(appName);
        var changed = false;
        for (var i = 0; i < releases.Count; i++)
        {
            if (releases[i].Status == "running" && (releases[i].DeployerPid is not { } pid || !Native.Posix.IsAlive(pid) || pid == Environment.ProcessId))
            {
                releases[i] = releases[i] with { Status = "interrupted" };
                changed = true;
            }
        }

        if (changed)
        {
            store.WriteReleases(appName, releases);
        }
    }

    public static async Task SaveReleaseAsync(StateStore store, string appName, ReleaseRecord release, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var releases = store.ReadReleases(appName);
        releases.RemoveAll(r => r.Version == release.Version);
        releases.Add(release);
        store.WriteReleases(appName, releases);
    }

    public static Task FinishReleaseAsync(StateStore store, string appName, ReleaseRecord release, string status, CancellationToken cancellationToken) =>
        SaveReleaseAsync(store, appName, release with { Status = status, Stable = status == "complete", DeployerPid = null }, cancellationToken);

    public static async Task MarkDeployedAsync(StateStore store, AppRecord app, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var current = store.ReadApp(app.Name) ?? app;
        store.WriteApp(current with { Deployed = true, Status = "deployed" });

        // Secrets set before this deploy are now on the machines.
        var secrets = store.ReadSecrets(app.Name);
        if (secrets.Any(s => s.Staged))
        {
            store.WriteSecrets(app.Name, [.. secrets.Select(s => s with { Staged = false })]);
        }
    }

    public static void PrintVisit(TextWriter output, AppRecord app)
    {
        output.WriteLine();
        output.WriteLine($"Visit your newly deployed app at https://{app.Name}.fly.dev/");
        output.WriteLine($"flysim: the app is served at http://127.0.0.1:{app.PublicPort}/");
    }

    private static void InjectLogs(StateStore store, string appName, JsonNode? fault, string? machineId, string region)
    {
        if (fault is null || !store.AppExists(appName))
        {
            return;
        }

        var entries = new List<LogEntry>();
        IEnumerable<JsonNode?> items = fault is JsonArray array ? array : [fault];
        foreach (var item in items)
        {
            var (message, level) = item switch
            {
                JsonObject obj => (obj["message"]?.ToString() ?? "", obj["level"]?.ToString() ?? "error"),
                JsonValue value => (value.ToString(), "error"),
                _ => ("", "error"),
            };
            if (message.Length > 0)
            {
                entries.Add(new LogEntry
                {
                    Timestamp = LogFormat.Timestamp(DateTimeOffset.UtcNow),
                    Message = message,
                    Level = level,
                    Instance = machineId ?? "unknown",
                    Region = region,
                });
            }
        }

        store.AppendLogs(appName, entries);
    }

    private static Dictionary<string, string> Merge(Dictionary<string, string> first, Dictionary<string, string> second)
    {
        var merged = new Dictionary<string, string>(first, StringComparer.Ordinal);
        foreach (var (key, value) in second)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static Dictionary<string, string> ParseEnvFlags(IReadOnlyList<string> values)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in values)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new FlyException($"invalid env \"{pair}\": environment variables must be NAME=VALUE pairs");
            }

            result[pair[..eq]] = pair[(eq + 1)..];
        }

        return result;
    }

    private static int ToInt(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<int>(out var i) ? i : value.TryGetValue<string>(out var s) && int.TryParse(s, out var parsed) ? parsed : value.TryGetValue<bool>(out var b) && b ? 1 : 0
        : 0;

    private static double ToDouble(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<double>(out var d) ? d : value.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0
        : 0;

    public static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} kB",
        _ => $"{bytes / 1024.0 / 1024.0:0.0} MB",
    };
}
