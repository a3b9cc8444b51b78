using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

public sealed class SecretsTests
{
    private const string TokenValue = "tok-7f3a9c1e-super-secret";
    private const string KeyLine1 = "-----BEGIN KEY-----";
    private const string KeyLine2 = "bWFkZS11cC1rZXktbWF0ZXJpYWw=";

    [Fact]
    public async Task Secrets_import_reads_stdin_never_echoes_values_and_restarts_machines_with_them()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync();

        var stdin = $"# pushed by the deploy build\nSIM_TOKEN={TokenValue}\nSIM_QUOTED=\"with spaces\"\nSIM_KEY=\"\"\"{KeyLine1}\n{KeyLine2}\n-----END KEY-----\"\"\"\n";
        var import = await sim.RunWithInputAsync(stdin, "secrets", "import", "--wait-timeout", "60s");

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.DoesNotContain(TokenValue, import.All);
        Assert.DoesNotContain(KeyLine2, import.All);

        var list = await sim.RunAsync("secrets", "list", "--json");
        Assert.DoesNotContain(TokenValue, list.All);
        var secrets = list.Json().AsArray();
        Assert.Equal(["SIM_KEY", "SIM_QUOTED", "SIM_TOKEN"], secrets.Select(s => s!["name"]!.GetValue<string>()));
        var token = secrets.Single(s => s!["name"]!.GetValue<string>() == "SIM_TOKEN")!;
        Assert.Equal(ExpectedDigest(TokenValue), token["digest"]!.GetValue<string>());
        Assert.Equal(ExpectedDigest("with spaces"), secrets.Single(s => s!["name"]!.GetValue<string>() == "SIM_QUOTED")!["digest"]!.GetValue<string>());
        Assert.Equal(ExpectedDigest($"{KeyLine1}\n{KeyLine2}\n-----END KEY-----"), secrets.Single(s => s!["name"]!.GetValue<string>() == "SIM_KEY")!["digest"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", token["created_at"]!.GetValue<string>());
        Assert.Equal("Deployed", token["status"]!.GetValue<string>());

        var table = await sim.RunAsync("secrets", "list");
        Assert.Contains("SIM_TOKEN", table.Stdout);
        Assert.DoesNotContain(TokenValue, table.All);

        // The import is a release, and the restarted machine has the secrets in its environment.
        var releases = await sim.ReleasesAsync();
        Assert.Equal(2, releases[0]!["Version"]!.GetValue<int>());
        using var client = TinyApp.Client();
        var env = JsonNode.Parse((await TinyApp.GetAsync(client, url + "/env")).Body)!;
        Assert.Equal(["SIM_KEY", "SIM_QUOTED", "SIM_TOKEN"], env["secret_names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("bonjour", env["greeting"]!.GetValue<string>());

        var logs = await sim.RunAsync("logs", "--no-tail");
        Assert.DoesNotContain(TokenValue, logs.All);

        // Stored like a server would: only the owner may read the vault.
        var file = Path.Combine(sim.StateDir, "apps", TinyApp.Name, "secrets.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task Staged_secrets_wait_for_the_next_deploy_and_unset_removes_them()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        var set = await sim.RunAsync("secrets", "set", "SIM_A=alpha-value", "SIM_B=beta-value", "--stage");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("staged", set.Stdout);
        Assert.DoesNotContain("alpha-value", set.All);
        Assert.Single(await sim.ReleasesAsync());
        var listed = (await sim.RunAsync("secrets", "list", "--json")).Json().AsArray();
        Assert.All(listed, s => Assert.Equal("Staged", s!["status"]!.GetValue<string>()));

        await sim.DeployOkAsync();
        using var client = TinyApp.Client();
        var url = await sim.PublicUrlAsync();
        var env = JsonNode.Parse((await TinyApp.GetAsync(client, url + "/env")).Body)!;
        Assert.Equal(["SIM_A", "SIM_B"], env["secret_names"]!.AsArray().Select(n => n!.GetValue<string>()));

        var unset = await sim.RunAsync("secrets", "unset", "SIM_A", "--wait-timeout", "60s");
        Assert.True(unset.ExitCode == 0, unset.ToString());
        env = JsonNode.Parse((await TinyApp.GetAsync(client, url + "/env")).Body)!;
        Assert.Equal(["SIM_B"], env["secret_names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["SIM_B"], (await sim.RunAsync("secrets", "list", "--json")).Json().AsArray().Select(s => s!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Secrets_on_an_unknown_app_fail_like_flyctl()
    {
        await using var sim = new Sim();

        var result = await sim.RunWithInputAsync("SIM_X=1\n", "secrets", "import", "-a", "no-such-app");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: Could not find App \"no-such-app\"", result.Stderr);
    }

    private static string ExpectedDigest(string value) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)))[..16];
}
