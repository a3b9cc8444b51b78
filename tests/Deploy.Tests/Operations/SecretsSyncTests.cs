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

    [Fact]
    public async Task A_crlf_value_is_refused_by_name_before_anything_is_sent_and_the_named_fix_leaves_it_unchanged()
    {
        await using var bed = await DeployBed.CreateAsync();
        var marker = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var pem = $"-----BEGIN KEY-----\r\n{marker}\r\n-----END KEY-----";
        bed.Environment["USDA_API_KEY"] = pem;
        var jwtBefore = await DigestAsync(bed, "JWT_SECRET");
        var jwt = bed.Secrets["JWT_SECRET"];
        bed.Secrets["JWT_SECRET"] = "jwt-rotated-" + marker;

        var result = await bed.BuildAsync("--target=Secrets");

        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Matches(@"USDA_API_KEY\s+REFUSED", result.Stdout);
        Assert.Contains("USDA_API_KEY: its value has CRLF line endings", result.Output);
        Assert.Contains($"printenv USDA_API_KEY | flyctl secrets set USDA_API_KEY=- -a {bed.App}", result.Output);
        Assert.DoesNotContain(marker, result.Output);
        Assert.Null(await DigestAsync(bed, "USDA_API_KEY"));
        Assert.Equal(jwtBefore, await DigestAsync(bed, "JWT_SECRET")); // nothing sent, not even the value that could be
        bed.Secrets["JWT_SECRET"] = jwt;

        // With secrets.sync, Validate refuses it before Backup and Migrate change anything.
        bed.EditDeployToml(toml => toml.Replace("optional = [\"USDA_API_KEY\"]", "optional = [\"USDA_API_KEY\"]\nsync = true"));
        var validate = await bed.BuildAsync("--target=Validate");
        Assert.True(validate.ExitCode != 0, validate.ToString());
        Assert.Contains("the secrets sync cannot send USDA_API_KEY: its value has CRLF line endings", validate.Output);
        Assert.DoesNotContain(marker, validate.Output);

        // The fix it names: flyctl secrets set NAME=- keeps the inner CRLF; the build then finds it unchanged.
        await bed.Fly.SucceedWithInputAsync(pem + "\n", "secrets", "set", "USDA_API_KEY=-", "-a", bed.App, "--stage");
        var again = await bed.BuildAsync("--target=Secrets");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Matches(@"USDA_API_KEY\s+unchanged", again.Stdout);
        Assert.DoesNotContain(marker, again.Output);
    }

    private static async Task<string?> DigestAsync(DeployBed bed, string name) =>
        (string?)(await bed.Fly.JsonAsync("secrets", "list", "--json", "-a", bed.App)).AsArray()
            .SingleOrDefault(s => (string?)s!["name"] == name)?["digest"];
}
