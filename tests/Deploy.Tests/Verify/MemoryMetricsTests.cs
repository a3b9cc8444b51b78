using System.Text.Json;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Verify;

/// <summary>
/// Verify and Status read the machines' memory from Fly's metrics (the simulator's, which measures
/// the running uvicorn) and warn, with the flyctl scale memory fix, above the threshold.
/// </summary>
public sealed class MemoryMetricsTests
{
    [Fact]
    public async Task A_machine_over_the_threshold_warns_with_the_scale_command_in_Verify_and_Status_and_the_run_succeeds()
    {
        await using var bed = await DeployBed.CreateAsync();
        // uvicorn with FastAPI and SQLAlchemy holds well over 80 % of 64 MB.
        bed.EditFlyToml(t => t.Replace("memory = \"512mb\"", "memory = \"64mb\""));
        await bed.DeployBaselineAsync();
        var token = await ConfigureMetricsAsync(bed);
        var machine = await MachineAsync(bed);

        var verify = await bed.BuildAsync("--target=Verify", "--exclusive");

        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Matches($@"machine {machine} uses (8[1-9]|9\d|100) % of its 64 MB memory \(\d+ MB\), over the 80 % threshold", verify.Output);
        Assert.Contains($"flyctl scale memory 128 -a {bed.App}", verify.Output);
        Assert.DoesNotContain("Fly metrics are not configured", verify.Output);
        var machines = MachinesRow(bed);
        Assert.Equal("warn", machines.GetProperty("result").GetString());
        var percent = machines.GetProperty("figures").GetProperty($"memory_percent.{machine}").GetDouble();
        Assert.InRange(percent, 80.01, 100);
        Assert.Equal(64, machines.GetProperty("figures").GetProperty($"memory_mb.{machine}").GetDouble());

        var text = await bed.BuildAsync("--target=Status");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches($@"{machine}\s.*64 MB \((8[1-9]|9\d|100) % used, \d+ MB\)", text.Stdout);
        Assert.Matches($@"! machine {machine} uses \d+ % of its 64 MB memory .*: flyctl scale memory 128 -a {bed.App}", text.Stdout);
        Assert.DoesNotContain("not measured", text.Stdout);

        var json = await bed.BuildAsync("--target=Status", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var status = JsonDocument.Parse(json.Stdout);
        var row = status.RootElement.GetProperty("machines")[0];
        Assert.Equal(machine, row.GetProperty("id").GetString());
        Assert.Equal(64, row.GetProperty("memory_mb").GetInt32());
        Assert.InRange(row.GetProperty("memory_percent").GetDouble(), 80.01, 100);
        Assert.InRange(row.GetProperty("memory_used_mb").GetInt32(), 51, 64);
        Assert.Contains(status.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains($"flyctl scale memory 128 -a {bed.App}", StringComparison.Ordinal));

        AssertTokenNowhere(bed, token, verify.Output + text.Output + json.Output);
    }

    [Fact]
    public async Task Roomy_memory_passes_quietly_and_a_wrong_or_missing_token_warns_without_failing_or_showing_it()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        var token = await ConfigureMetricsAsync(bed);
        var machine = await MachineAsync(bed);

        var roomy = await bed.BuildAsync("--target=Verify", "--exclusive");

        Assert.True(roomy.ExitCode == 0, roomy.ToString());
        Assert.Matches($@"machine {machine}: memory \d+ of 512 MB \(\d+ %\)", roomy.Output);
        Assert.DoesNotContain("scale memory", roomy.Output);
        var machines = MachinesRow(bed);
        Assert.Equal("pass", machines.GetProperty("result").GetString());
        Assert.InRange(machines.GetProperty("figures").GetProperty($"memory_percent.{machine}").GetDouble(), 1, 79.99);

        var status = await bed.BuildAsync("--target=Status");

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches($@"{machine}\s.*512 MB \(\d+ % used, \d+ MB\)", status.Stdout);
        var warnings = status.Stdout.IndexOf("Warnings", StringComparison.Ordinal);
        Assert.DoesNotContain("memory", warnings < 0 ? string.Empty : status.Stdout[warnings..]);

        const string wrong = "fo1_wr0ng-t0ken-that-must-never-be-printed";
        bed.Environment["FLY_METRICS_TOKEN"] = wrong;

        var refused = await bed.BuildAsync("--target=Verify", "--exclusive");

        Assert.True(refused.ExitCode == 0, refused.ToString());
        Assert.Contains("memory use not measured: Fly metrics at 127.0.0.1:", refused.Output);
        Assert.Contains("answered 401 Unauthorized", refused.Output);
        Assert.Equal("warn", MachinesRow(bed).GetProperty("result").GetString());
        AssertTokenNowhere(bed, wrong, refused.Output);

        bed.Environment["FLY_METRICS_TOKEN"] = null;

        var missing = await bed.BuildAsync("--target=Verify", "--exclusive");

        Assert.True(missing.ExitCode == 0, missing.ToString());
        Assert.Contains("memory use not measured: $FLY_METRICS_TOKEN is not set", missing.Output);
        AssertTokenNowhere(bed, token, roomy.Output + status.Output + missing.Output);
    }

    /// <summary>Points deploy.toml at the simulator's metrics API and puts its token in the build's environment.</summary>
    private static async Task<string> ConfigureMetricsAsync(DeployBed bed)
    {
        var url = (string)(await bed.Fly.JsonAsync("sim", "info"))["metrics_url"]!;
        var token = (await bed.Fly.SucceedAsync("auth", "token")).Stdout.Trim();
        Assert.StartsWith("fo1_", token);
        bed.EditDeployToml(t => t.Replace("[verify]\n", $"[verify]\nmetrics_url = \"{url}\"\n"));
        bed.Environment["FLY_METRICS_TOKEN"] = token;
        return token;
    }

    private static async Task<string> MachineAsync(DeployBed bed) =>
        (string)(await bed.Fly.JsonAsync("status", "--json", "-a", bed.App))["Machines"]![0]!["id"]!;

    /// <summary>The Machines row of the newest run's report.json.</summary>
    private static JsonElement MachinesRow(DeployBed bed)
    {
        var report = Path.Combine(Path.GetDirectoryName(bed.Journals()[^1])!, "report.json");
        using var document = JsonDocument.Parse(File.ReadAllText(report));
        return document.RootElement.GetProperty("verification").EnumerateArray()
            .Single(r => r.GetProperty("name").GetString() == "Machines").Clone();
    }

    /// <summary>Neither the output nor any file of the state folder (journals, reports, audit log) holds the token.</summary>
    private static void AssertTokenNowhere(DeployBed bed, string token, string output)
    {
        Assert.DoesNotContain(token, output);
        foreach (var file in Directory.GetFiles(bed.StateDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".dump", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(token, File.ReadAllText(file));
        }
    }
}
