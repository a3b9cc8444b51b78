using FlySim.Commands;
using FlySim.Config;
using FlySim.State;

namespace FlySim.Tests;

/// <summary>The simulator's parsers, called directly: fast checks of the formats it must read like flyctl and Docker.</summary>
public sealed class ParsingTests
{
    [Fact]
    public void Secrets_import_parses_quotes_comments_and_triple_quoted_multiline_values()
    {
        var parsed = SecretsCommands.Parse("# comment\nA=plain\nB=\"quoted value\"\n  C = spaced\nD=\"\"\"line one\nline two\"\"\"\nE=has=equals\n");

        Assert.Equal("plain", parsed["A"]);
        Assert.Equal("quoted value", parsed["B"]);
        Assert.Equal("spaced", parsed["C"]);
        Assert.Equal("line one\nline two", parsed["D"]);
        Assert.Equal("has=equals", parsed["E"]);
    }

    [Fact]
    public void Secrets_import_rejects_a_line_without_equals_without_quoting_it()
    {
        var error = Assert.Throws<FlyException>(() => SecretsCommands.Parse("A=1\nsecret-value-without-name\n"));

        Assert.Contains("line 2", error.Message);
        Assert.DoesNotContain("secret-value", error.Message);
    }

    [Fact]
    public void Secret_digest_is_the_first_16_hex_of_the_md5_of_the_value()
    {
        // Fly's documented example: the digest of "asdf" is 912ec803b2ce49e4a541068d495ab570.
        Assert.Equal("912ec803b2ce49e4", SecretsCommands.Digest("asdf"));
    }

    [Theory]
    [InlineData("""CMD ["python3", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]""", false, "python3|-m|uvicorn|app.main:app|--host|0.0.0.0|--port|8000")]
    [InlineData("CMD uvicorn app.main:app --host 0.0.0.0 --port 8000", true, "uvicorn app.main:app --host 0.0.0.0 --port 8000")]
    [InlineData("ENTRYPOINT [\"python3\"]\nCMD [\"server.py\"]", false, "python3|server.py")]
    [InlineData("FROM a AS build\nCMD [\"wrong\"]\nFROM b\nCMD [\"right\", \\\n  \"args\"]", false, "right|args")]
    public void Dockerfile_command_of_the_final_stage(string dockerfile, bool shell, string expected)
    {
        var config = Dockerfile.Parse("FROM python:3.11-slim\n" + dockerfile);

        Assert.Equal(shell, config.ShellForm);
        Assert.Equal(expected, string.Join('|', config.Command));
    }

    [Fact]
    public void Dockerfile_env_supports_both_forms()
    {
        var config = Dockerfile.Parse("FROM x\nENV A=1 \\\n    B=\"two words\"\nENV LEGACY value with spaces\nCMD [\"x\"]");

        Assert.Equal("1", config.Env["A"]);
        Assert.Equal("two words", config.Env["B"]);
        Assert.Equal("value with spaces", config.Env["LEGACY"]);
    }

    [Fact]
    public void Command_is_rewritten_to_listen_on_the_machines_loopback_port()
    {
        var spec = Spec(["python3", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"], shell: false);
        Assert.Equal("python3 -m uvicorn app.main:app --host 127.0.0.1 --port 41000", string.Join(' ', Fleet.CommandFor(spec, 41000)));

        var gunicorn = Spec(["gunicorn", "-b", "0.0.0.0:8000", "app:app"], shell: false);
        Assert.Equal("gunicorn -b 127.0.0.1:41000 app:app", string.Join(' ', Fleet.CommandFor(gunicorn, 41000)));

        var shellForm = Spec(["uvicorn app.main:app --host=0.0.0.0 --port=8000 --workers 2"], shell: true);
        Assert.Equal("/bin/sh|-c|uvicorn app.main:app --host=127.0.0.1 --port=41000 --workers 2", string.Join('|', Fleet.CommandFor(shellForm, 41000)));
    }

    [Fact]
    public void Runbook_fly_toml_yields_its_check_env_and_vm()
    {
        var toml = """
            app = "nutriprofile-api"
            primary_region = "cdg"

            [build]

            [env]
              PORT = "8000"

            [http_service]
              internal_port = 8000
              force_https = true

            [[services.http_checks]]
              interval = 10000
              grace_period = "10s"
              method = "get"
              path = "/health"
              protocol = "http"
              timeout = 2000

            [[vm]]
              size = "shared-cpu-1x"
              memory = "512mb"

            [checks.api]
              type = "http"
              port = 8000
              path = "/api/v1/health"
              timeout = "3s"
            """;
        var path = Path.Combine(Path.GetTempPath(), $"fly-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, toml);
        try
        {
            var config = FlyToml.Load(path);

            Assert.Equal("nutriprofile-api", config.App);
            Assert.Equal("cdg", config.PrimaryRegion);
            Assert.Equal("8000", config.Env["PORT"]);
            Assert.Equal(8000, config.InternalPort);
            Assert.Equal(512, config.Guest.MemoryMb);
            Assert.Equal(2, config.Checks.Count);
            var http = config.Checks[0];
            Assert.Equal("/health", http.Path);
            Assert.Equal("GET", http.Method);
            Assert.Equal(2, http.TimeoutSeconds);
            Assert.Equal(10, http.GracePeriodSeconds);
            Assert.Equal(10, http.IntervalSeconds);
            Assert.Equal("api", config.Checks[1].Name);
            Assert.Equal(3, config.Checks[1].TimeoutSeconds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_toml_is_reported_with_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fly-{Guid.NewGuid():N}.toml");
        File.WriteAllText(path, "app = \"x\"\n[env\n");
        try
        {
            var error = Assert.Throws<FlyException>(() => FlyToml.Load(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("5m", 300)]
    [InlineData("1m30s", 90)]
    [InlineData("500ms", 0.5)]
    [InlineData("45", 45)]
    public void Wait_timeout_accepts_go_durations_and_seconds(string text, double seconds)
    {
        Assert.Equal(seconds, GoDuration.ParseFlag("wait-timeout", text).TotalSeconds);
    }

    [Fact]
    public void Wait_timeout_rejects_garbage_like_flyctl()
    {
        var error = Assert.Throws<FlyException>(() => GoDuration.ParseFlag("wait-timeout", "soon"));
        Assert.Equal("invalid argument \"soon\" for \"--wait-timeout\" flag: time: invalid duration \"soon\"", error.Message);
    }

    private static MachineSpec Spec(List<string> command, bool shell) => new()
    {
        ImageId = "x",
        ImageRef = "registry.fly.io/a:b",
        ImageDigest = "sha256:x",
        Command = command,
        ShellForm = shell,
        InternalPort = 8000,
        Guest = new GuestRecord("shared", 1, 256),
        ReleaseVersion = 1,
    };
}
