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

    public async Task<IReadOnlyList<FlyLogLine>> LogsAsync(CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync(["logs", "--no-tail", "--json", "-a", App], cancellationToken);
        var lines = new List<FlyLogLine>();
        foreach (var line in result.OutputLines)
        {
            if (line.StartsWith('{'))
            {
                try
                {
                    if (JsonSerializer.Deserialize<FlyLogLine>(line, Json) is { } entry)
                    {
                        lines.Add(entry);
                    }
                }
                catch (JsonException)
                {
                    lines.Add(new FlyLogLine(null, line, null, null, null));
                }
            }
        }

        return lines;
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
