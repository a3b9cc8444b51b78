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
        var import = await sim.RunWithInputAsync(stdin, "secrets", "import");

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
        // list.go SecretWithStatus: exactly name, digest and status.
        Assert.All(secrets, s => Assert.Equal(["name", "digest", "status"], s!.AsObject().Select(p => p.Key)));
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

        var unset = await sim.RunAsync("secrets", "unset", "SIM_A");
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

    [Fact]
    public async Task Secrets_import_stores_a_crlf_value_without_its_carriage_returns()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);

        var import = await sim.RunWithInputAsync("SIM_PLAIN=one\r\nSIM_PEM=\"\"\"line1\r\nline2\"\"\"\r\n", "secrets", "import", "-a", TinyApp.Name, "--stage");

        Assert.True(import.ExitCode == 0, import.ToString());
        var digests = await DigestsAsync(sim);
        Assert.Equal(ExpectedDigest("one"), digests["SIM_PLAIN"]);
        Assert.Equal(ExpectedDigest("line1\nline2"), digests["SIM_PEM"]);
    }

    [Fact]
    public async Task Secrets_set_with_a_dash_reads_the_value_from_stdin_trimmed_and_keeps_its_inner_crlf()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);

        var set = await sim.RunWithInputAsync("  line1\r\nline2 # not a comment\n", "secrets", "set", "SIM_PEM=-", "-a", TinyApp.Name, "--stage");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.DoesNotContain("line1", set.All);
        Assert.Equal(ExpectedDigest("line1\r\nline2 # not a comment"), (await DigestsAsync(sim))["SIM_PEM"]);

        var tooBig = await sim.RunWithInputAsync(new string('x', 64 * 1024 + 1), "secrets", "set", "SIM_BIG=-", "-a", TinyApp.Name, "--stage");
        Assert.Equal(1, tooBig.ExitCode);
        Assert.Contains("Error: error reading stdin for 'SIM_BIG': Input exceeded max length of 65536 bytes", tooBig.Stderr);
    }

    [Fact]
    public async Task Secrets_import_crashes_like_flyctl_on_a_lone_quote_and_refuses_flags_flyctl_lacks()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);

        var panic = await sim.RunWithInputAsync("SIM_A=fine\nSIM_B=\"\n", "secrets", "import", "-a", TinyApp.Name, "--stage");

        Assert.Equal(3, panic.ExitCode);
        Assert.StartsWith("Oops, something went wrong! Could you try that again?", panic.Stdout);
        Assert.Contains("slice bounds out of range [1:0]", panic.Stdout);
        Assert.Empty((await DigestsAsync(sim)).Keys);

        var empty = await sim.RunWithInputAsync("# only a comment\nSIM_C=\"\"\"never closed\n", "secrets", "import", "-a", TinyApp.Name, "--stage");
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("Error: requires at least one SECRET=VALUE pair", empty.Stderr);

        // sharedFlags (secrets.go) has no --wait-timeout.
        var flag = await sim.RunWithInputAsync("SIM_D=1\n", "secrets", "import", "-a", TinyApp.Name, "--wait-timeout", "60s");
        Assert.Equal(1, flag.ExitCode);
        Assert.Contains("unknown flag: --wait-timeout", flag.Stderr);
    }

    private static async Task<Dictionary<string, string>> DigestsAsync(Sim sim) =>
        (await sim.RunAsync("secrets", "list", "--json", "-a", TinyApp.Name)).Json().AsArray()
            .ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["digest"]!.GetValue<string>());

    private static string ExpectedDigest(string value) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)))[..16];
}
