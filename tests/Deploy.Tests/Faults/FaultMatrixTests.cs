using System.Text.Json.Nodes;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Faults;

/// <summary>One fault injected into a deploy, and what must hold afterwards.</summary>
public sealed record FaultScenario(string Name)
{
    /// <summary>Sample backend variants laid on top of the serving release (v1, the base backend) for the run.</summary>
    public string[] Variants { get; init; } = ["next-release"];

    /// <summary>Simulator faults (faults.json) for the run.</summary>
    public object? Faults { get; init; }

    public string[] Arguments { get; init; } = ["--target=Deploy", "--force"];

    public bool Succeeds { get; init; }

    /// <summary>What the output must say: the fault was seen for what it is.</summary>
    public string[] Says { get; init; } = [];

    /// <summary>Changes to the bed before the run (config, git, environment...).</summary>
    public Func<DeployBed, Task>? Arrange { get; init; }

    /// <summary>Runs the build its own way (kill and resume, two at once); default: one run with <see cref="Arguments"/>.</summary>
    public Func<DeployBed, Task<ProcessResult>>? Act { get; init; }

    /// <summary>The run stops before Release: no release may be recorded.</summary>
    public bool StopsBeforeRelease { get; init; }

    public override string ToString() => Name;
}

/// <summary>
/// The fault matrix: each scenario injects one fault (through the simulator, a backend variant,
/// the environment, the config, or a kill) into a deploy of v2 over a serving v1, then checks the
/// same invariants: the exit code; the release serving (the new one on success, the previous one on
/// failure); the schema matching that release; every row as before a failed run; the lock free;
/// the journal and report telling the truth; no secret in any output or file; no process left.
/// </summary>
public static class FaultMatrix
{
    public static async Task RunAsync(FaultScenario scenario)
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        foreach (var variant in scenario.Variants)
        {
            await bed.Backend.ApplyAsync(variant);
        }

        if (scenario.Arrange is not null)
        {
            await scenario.Arrange(bed);
        }

        var releasesBefore = (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count;
        var rows = bed.Database.Snapshot();
        if (scenario.Faults is not null)
        {
            bed.Fly.InjectFaults(scenario.Faults);
        }

        var result = scenario.Act is null ? await bed.BuildAsync(scenario.Arguments) : await scenario.Act(bed);

        // Faults that persist (unauthenticated...) would stand in the way of reading the platform below.
        bed.Fly.InjectFaults(new { });

        // The exit code.
        Assert.True(result.ExitCode == (scenario.Succeeds ? 0 : 1), $"{scenario}: expected exit {(scenario.Succeeds ? 0 : 1)}\n{result}");
        foreach (var phrase in scenario.Says)
        {
            Assert.True(result.Output.Contains(phrase, StringComparison.Ordinal), $"{scenario}: the output does not say \"{phrase}\"\n{result}");
        }

        // The release serving: the new one on success, the previous one on failure; healthy either way.
        var health = await bed.ServingHealthAsync();
        Assert.Equal("ok", (string?)health["status"]);
        Assert.True(scenario.Succeeds == ((string?)health["version"] != "1.0.0"), $"{scenario}: serving version {(string?)health["version"]}");

        // The schema matches the release serving.
        Assert.Equal((string?)health["expected_revision"], bed.Database.Scalar("SELECT version_num FROM alembic_version"));

        // Every row as before the run, when the run failed.
        if (!scenario.Succeeds)
        {
            Assert.Equal(rows, bed.Database.Snapshot());
        }

        if (scenario.StopsBeforeRelease)
        {
            Assert.Equal(releasesBefore, (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count);
        }

        // The lock is free.
        Assert.False(File.Exists(Path.Combine(bed.StateDir, DeployLock.FileName)), $"{scenario}: the deploy lock was left behind");

        // The journal and the report tell the truth.
        if (bed.Journals().Count > 0)
        {
            var journal = BackupTests.OpenJournal(bed);
            Assert.Equal(scenario.Succeeds ? RunStatus.Succeeded : RunStatus.Failed, journal.Data.Status);
            var report = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
            Assert.Contains(scenario.Succeeds ? ": succeeded" : ": failed", report.Split('\n')[0]);
        }

        // No secret anywhere: output, journals, reports, audit log.
        AssertNoSecret(bed, result.Output, scenario);

        // No process of this bed's runs left behind (the simulator's machines belong to the platform).
        Assert.Empty(BuildProcessesOf(bed));
    }

    private static void AssertNoSecret(DeployBed bed, string output, FaultScenario scenario)
    {
        var values = bed.Secrets.Values
            .SelectMany(v => v.Split('\n'))
            .Append(bed.Database.Cluster.Password)
            .Where(v => v.Length >= 6)
            .ToList();
        var files = Directory.Exists(bed.StateDir)
            ? Directory.GetFiles(bed.StateDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".dump", StringComparison.Ordinal))
            : [];
        foreach (var (where, text) in files.Select(f => (f, File.ReadAllText(f))).Prepend(("output", output)))
        {
            foreach (var value in values)
            {
                Assert.False(text.Contains(value, StringComparison.Ordinal), $"{scenario}: a secret value appears in {where}");
            }
        }
    }

    internal static IReadOnlyList<string> BuildProcessesOf(DeployBed bed)
    {
        var found = new List<string>();
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains("Build.dll", StringComparison.Ordinal) && commandLine.Contains(bed.StateDir, StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {commandLine}");
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}

// Eight classes of about five scenarios each, so that xunit runs parts of the matrix side by side
// (AssemblyInfo.cs) and no part is much longer than the others.

public sealed class FaultMatrixPart1Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(1);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart2Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(2);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart3Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(3);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart4Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(4);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart5Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(5);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart6Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(6);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart7Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(7);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}

public sealed class FaultMatrixPart8Tests
{
    public static TheoryData<FaultScenario> Scenarios => FaultScenarios.Part(8);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Invariants_hold(FaultScenario scenario) => FaultMatrix.RunAsync(scenario);
}
