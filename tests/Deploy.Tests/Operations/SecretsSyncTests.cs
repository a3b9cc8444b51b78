using System.Security.Cryptography;
using System.Text;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Operations;

/// <summary>--target=Secrets: the app's secrets made to match the environment, values never shown.</summary>
public sealed class SecretsSyncTests
{
    [Fact]
    public async Task Sync_sends_only_what_changed_and_never_prints_a_value()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        var releases = (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count;
        var newJwt = "jwt-rotated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        bed.Secrets["JWT_SECRET"] = newJwt;
        bed.Environment["USDA_API_KEY"] = "usda-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

        var result = await bed.BuildAsync("--target=Secrets");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"JWT_SECRET\s+changed", result.Stdout);
        Assert.Matches(@"USDA_API_KEY\s+new", result.Stdout);
        Assert.Matches(@"HUGGINGFACE_TOKEN\s+unchanged", result.Stdout);
        Assert.Matches(@"CANARY_SECRET\s+unchanged", result.Stdout);
        Assert.Matches(@"DATABASE_URL\s+skipped: it is database.url_env", result.Stdout);
        Assert.Contains("Sent 2 secret(s)", result.Stdout);
        foreach (var value in new[] { newJwt, bed.Environment["USDA_API_KEY"]!, bed.Secrets["HUGGINGFACE_TOKEN"] })
        {
            Assert.DoesNotContain(value, result.Output);
        }

        var listed = (await bed.Fly.JsonAsync("secrets", "list", "--json", "-a", bed.App)).AsArray();
        var jwt = listed.Single(s => (string?)s!["name"] == "JWT_SECRET")!;
        Assert.StartsWith((string)jwt["digest"]!, Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(newJwt))));
        Assert.Equal(releases + 1, (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count);

        var again = await bed.BuildAsync("--target=Secrets");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing sent", again.Output);
        Assert.Equal(releases + 1, (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count);
    }

    [Fact]
    public async Task Deploy_with_sync_stages_the_changed_secrets_so_the_app_restarts_once()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        await bed.Backend.ApplyAsync("next-release");
        bed.EditDeployToml(toml => toml.Replace("optional = [\"USDA_API_KEY\"]", "optional = [\"USDA_API_KEY\"]\nsync = true"));
        var releases = (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count;
        var newJwt = "jwt-rotated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        bed.Secrets["JWT_SECRET"] = newJwt;

        var result = await bed.BuildAsync("--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"JWT_SECRET\s+changed", result.Stdout);
        Assert.Contains("Sent 1 secret(s), staged", result.Output);
        Assert.DoesNotContain(newJwt, result.Output);
        var listed = (await bed.Fly.JsonAsync("secrets", "list", "--json", "-a", bed.App)).AsArray();
        var jwt = listed.Single(s => (string?)s!["name"] == "JWT_SECRET")!;
        Assert.StartsWith((string)jwt["digest"]!, Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(newJwt))));
        Assert.Equal(releases + 1, (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count);
        foreach (var journal in bed.Journals())
        {
            Assert.DoesNotContain(newJwt, File.ReadAllText(journal));
        }
    }
}
