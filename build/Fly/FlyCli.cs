using System.Text.Json;
using DeployBuild.Process;
using Polly;
using Polly.Retry;

namespace DeployBuild.Fly;

/// <summary>
/// flyctl, through the one process wrapper. Reads (releases, status, secrets list, logs...) are
/// idempotent and retried on failure, since the Fly API has transient errors; changes are not.
/// </summary>
public sealed class FlyCli
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = false };

    private readonly CommandRunner _runner;
    private readonly ResiliencePipeline _reads;

    public FlyCli(CommandRunner runner, string flyctl, string app, TimeSpan? retryDelay = null)
    {
        _runner = runner;
        Program = flyctl;
        App = app;
        _reads = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<CommandFailedException>().Handle<JsonException>(),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryDelay ?? TimeSpan.FromSeconds(1),
            })
            .Build();
    }

    public string Program { get; }

    public string App { get; }

    public Task<IReadOnlyList<FlySecret>> SecretsListAsync(CancellationToken cancellationToken = default) =>
        ReadJsonAsync<IReadOnlyList<FlySecret>>(["secrets", "list", "--json", "-a", App], cancellationToken);

    public Task<IReadOnlyList<FlyRelease>> ReleasesAsync(CancellationToken cancellationToken = default) =>
        ReadJsonAsync<IReadOnlyList<FlyRelease>>(["releases", "--json", "-a", App], cancellationToken);

    public Task<FlyStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        ReadJsonAsync<FlyStatus>(["status", "--json", "-a", App], cancellationToken);

    /// <summary>The account flyctl is logged in as; fails when it is not authenticated.</summary>
    public async Task<string> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync(["auth", "whoami"], cancellationToken);
        return result.StandardOutput.Trim();
    }

    public async Task<string> VersionAsync(CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync(["version"], cancellationToken);
        return result.StandardOutput.Trim();
    }

    /// <summary>
    /// <c>flyctl logs --no-tail --json</c>, read as a stream of JSON values (<see cref="FlyLogStream"/>).
    /// Bounded by <paramref name="deadline"/>, retries included: with --no-tail flyctl keeps polling
    /// while Fly's log API returns empty pages (logs/polling.go), so the command may never end.
    /// </summary>
    /// <exception cref="CommandTimeoutException">flyctl logs did not finish within the deadline.</exception>
    public async Task<FlyLogRead> LogsAsync(TimeSpan deadline, CancellationToken cancellationToken = default) =>
        FlyLogStream.Parse(await ReadLogsAsync(["logs", "--no-tail", "--json", "-a", App], deadline, cancellationToken));

    /// <summary><c>flyctl logs --no-tail</c> as plain text, its color codes removed; bounded like <see cref="LogsAsync"/>.</summary>
    public async Task<string> LogsTextAsync(TimeSpan deadline, CancellationToken cancellationToken = default) =>
        FlyLogStream.StripColors(await ReadLogsAsync(["logs", "--no-tail", "-a", App], deadline, cancellationToken));

    private async Task<string> ReadLogsAsync(IReadOnlyList<string> arguments, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        try
        {
            var result = await _reads.ExecuteAsync(async token => await _runner.RunAsync(Read(arguments) with { Timeout = deadline }, token), limit.Token);
            return result.StandardOutput;
        }
        catch (Exception ex) when (ex is OperationCanceledException or CommandTimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw new CommandTimeoutException(
                $"flyctl {string.Join(' ', arguments)} did not finish within {Settings.Durations.Human(deadline)} and was stopped " +
                "(with --no-tail, flyctl polls until Fly's log API returns a line, so an empty or unanswering log never ends). " +
                "Read the logs by hand (flyctl logs -a " + App + "); if the log API is only slow, raise verify.logs_timeout in deploy.toml.");
        }
    }

    /// <summary>A read-only command's output as flyctl printed it (secrets masked), for diagnostics.</summary>
    public async Task<string> ReadRawAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default) =>
        (await ReadAsync(arguments, cancellationToken)).StandardOutput;

    /// <summary>Runs a flyctl command that changes something: streamed, never retried.</summary>
    public Task<CommandResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout, string? standardInput = null,
        IReadOnlyList<int>? successCodes = null, Action<string>? onOutput = null, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(new Command(Program, arguments)
        {
            DisplayName = "flyctl " + arguments[0],
            Timeout = timeout,
            StandardInput = standardInput,
            SuccessCodes = successCodes ?? [0],
            OnOutput = onOutput,
            ExplainExitCode = ExplainExitCode,
        }, cancellationToken);

    private async Task<T> ReadJsonAsync<T>(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        return await _reads.ExecuteAsync(async token =>
        {
            var result = await _runner.RunAsync(Read(arguments), token);
            var text = result.StandardOutput.Trim();
            return JsonSerializer.Deserialize<T>(text.Length == 0 ? "null" : text, Json)
                   ?? throw new JsonException($"flyctl {string.Join(' ', arguments)} printed no JSON.");
        }, cancellationToken);
    }

    private async Task<CommandResult> ReadAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        await _reads.ExecuteAsync(async token => await _runner.RunAsync(Read(arguments), token), cancellationToken);

    private Command Read(IReadOnlyList<string> arguments) => new(Program, arguments)
    {
        DisplayName = "flyctl " + string.Join(' ', arguments.TakeWhile(a => !a.StartsWith('-'))),
        Stream = false,
        Timeout = TimeSpan.FromMinutes(2),
        ExplainExitCode = ExplainExitCode,
    };

    /// <summary>flyctl's own exit codes (126 deadline, 127 cancelled, 3 panic) spelled out in failure messages.</summary>
    public string? ExplainExitCode(int exitCode) => FlyctlExitCodes.ExplainFor(Program, exitCode);
}
