using System.Text.Json.Nodes;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Deploys;

/// <summary>--target=Deploy end to end against the simulator, the sample backend and a throwaway cluster.</summary>
public sealed class DeployFlowTests
{
    [Fact]
    public async Task Good_release_deploys_migrates_and_verifies_runs_its_hooks_and_shows_in_status()
    {
        await using var bed = await DeployBed.CreateAsync();
        var first = await bed.BuildAsync("--target=Deploy");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("this is its first deploy", first.Output);

        await bed.Backend.ApplyAsync("next-release");
        var hooks = Operations.HookTests.WriteHooks(bed, failing: null);
        var second = await bed.BuildAsync("--target=Deploy");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Serving now: release v1", second.Output);
        Assert.Contains("Database migrated: 0003 -> 0004.", second.Output);
        Assert.Contains("Deployed v2", second.Output);
        Assert.Contains("The release is verified.", second.Output);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        var health = await GetJsonAsync(bed, "/api/v1/health");
        Assert.Equal("1.1.0", (string?)health["version"]);
        var journal = BackupTests.OpenJournal(bed);
        Assert.Equal("succeeded", journal.Data.Status);
        Assert.Equal(1, journal.Read<ReleaseOutputs>()!.PreviousVersion);
        Assert.Equal(2, journal.Read<ReleaseOutputs>()!.NewVersion);
        Assert.Equal("pass", journal.Read<VerifyOutputs>()!.Check("Health")!.Result);
        Tests.Reporting.PicturesEndToEnd.AssertGoodDeployPictures(bed, journal, second.Output);

        // The hooks ran at their points with the run's facts.
        var lines = File.ReadAllLines(hooks);
        Assert.Equal(["pre-validate", "pre-deploy", "post-deploy"], lines.Select(l => l.Split(' ')[0]));
        var post = lines[2].Split(' ');
        Assert.Equal(bed.App, post[1]);
        Assert.Equal(journal.RunId, post[2]);
        Assert.Matches(@"^\d{8}T\d{6}Z-[0-9a-f]{6}$", post[2]);
        Assert.Equal("Deploy", post[3]);
        Assert.Equal(bed.Backend.Commit, post[4]);
        Assert.Equal("1", post[5]);
        Assert.Equal("2", post[6]);
        Assert.Equal("succeeded", post[7]);

        // Status shows what the platform, the database and the state folder say.
        await StatusAssertions.AssertStatusAsync(bed, release: 2, schema: "0004");
        await Tests.Reporting.PicturesEndToEnd.AssertHistoryAsync(bed);
    }

    internal static async Task<JsonNode> GetJsonAsync(DeployBed bed, string path)
    {
        var status = await bed.Fly.JsonAsync("status", "--json", "-a", bed.App);
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri(new Uri((string)status["AppURL"]!), path)))!;
    }
}
