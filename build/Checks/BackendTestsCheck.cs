using System.Text.RegularExpressions;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>"Tests backend passent (pytest)": the backend's suite, with the failing tests named.</summary>
public sealed partial class BackendTestsCheck : IPreDeployCheck
{
    public string Name => "Backend tests";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var settings = context.Settings.Tests;
        var words = ShellWords.Split(settings.Command);
        // The suite must never meet production: no database URL, no secret of the app, whatever its fixtures read.
        var environment = context.Settings.Secrets.All
            .Append(context.Settings.Database.UrlEnv)
            .Append("DATABASE_URL")
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in new Dictionary<string, string?>
        {
            // Validate changes nothing: no bytecode, no pytest cache in the backend folder.
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            ["PYTEST_ADDOPTS"] = AppendOption(context.Environment("PYTEST_ADDOPTS"), "-p no:cacheprovider"),
        })
        {
            environment[name] = value;
        }

        CommandResult result;
        try
        {
            result = await context.Commands.RunAsync(new Command(words[0], words.Skip(1).ToList())
            {
                WorkingDirectory = context.Settings.BackendPath,
                Environment = environment,
                Timeout = settings.Timeout,
                Stream = false,
                SuccessCodes = [0, 1, 2, 3, 4, 5],
                DisplayName = "backend tests",
            }, cancellationToken);
        }
        catch (CommandFailedException ex)
        {
            return new CheckResult(Name, $"'{settings.Command}' failed", [Finding.Fail(ex.Message, "run the tests by hand in the backend folder")], ex.Result.Duration);
        }

        var output = result.StandardOutput + result.StandardError;
        var summary = Summary(output) ?? $"exit code {result.ExitCode}";
        switch (result.ExitCode)
        {
            case 0:
                return Result(summary, []);
            case 5:
                return Result("no tests were collected", [Finding.Warn("the test command collected no tests", $"check tests.command in deploy.toml ('{settings.Command}')")]);
            case 1:
                var failed = FailedTests(output);
                var findings = failed.Count == 0
                    ? [Finding.Fail($"tests failed: {summary}", "run the tests in the backend folder and fix them")]
                    : failed.Select(t => Finding.Fail($"FAILED {t}", $"run: {settings.Command} {t.Split(" - ")[0]}")).ToList();
                return Result($"{summary}", findings);
            default:
                return Result($"the test run broke ({summary})", [Finding.Fail(
                    $"'{settings.Command}' exited with {result.ExitCode} (interrupted, internal error or usage error): {Tail(output)}",
                    "run the tests by hand in the backend folder")]);
        }

        CheckResult Result(string text, IReadOnlyList<Finding> findings) => new(Name, text, findings, result.Duration);
    }

    internal static IReadOnlyList<string> FailedTests(string output) =>
        output.Split('\n')
            .Select(l => FailedLine().Match(l.TrimEnd('\r')))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .Distinct()
            .ToList();

    internal static string? Summary(string output) =>
        output.Split('\n').Select(l => l.Trim().Trim('=').Trim())
            .LastOrDefault(l => SummaryLine().IsMatch(l));

    private static string AppendOption(string? existing, string option) =>
        string.IsNullOrWhiteSpace(existing) ? option : $"{existing} {option}";

    private static string Tail(string output) =>
        string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(5));

    [GeneratedRegex(@"^(?:FAILED|ERROR) (\S+(?: - .*)?)$")]
    private static partial Regex FailedLine();

    [GeneratedRegex(@"^\d+ (?:passed|failed|error|errors)\b.* in [\d.]+s")]
    private static partial Regex SummaryLine();
}
