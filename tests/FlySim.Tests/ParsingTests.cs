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
    public void Secrets_import_rejects_a_line_without_equals_quoting_it_as_flyctl_does()
    {
        // parser.go quotes the offending line and import.go wraps the error: a line the build mangles can
        // put part of a value in flyctl's output, so the build must never write one.
        var error = Assert.Throws<FlyException>(() => SecretsCommands.Parse("A=1\nno-equals-here\n"));

        Assert.Equal("Failed to parse secrets from stdin: Secrets must be provided as NAME=VALUE pairs (no-equals-here is invalid)", error.Message);
    }

    [Theory]
    [InlineData("A=abc # note", "abc")] // even (0) quotes before '#': cut, then right-trimmed
    [InlineData("A=\"abc # note\"", "abc # note")] // odd (1): kept, then unquoted
    [InlineData("A='abc # note'", "'abc")] // single quotes do not count: cut, and no closing quote is left
    [InlineData("A=\"a\"b#c\"", "\"a\"b")] // two quotes before '#': cut
    [InlineData("A=#all comment", "")]
    [InlineData("A=x#1#2", "x")] // only the first '#' is looked at
    public void Secrets_import_cuts_an_inline_comment_when_the_text_before_holds_an_even_number_of_quotes(string line, string expected)
    {
        Assert.Equal(expected, SecretsCommands.Parse(line + "\n")["A"]);
    }

    [Fact]
    public void Secrets_import_drops_one_carriage_return_per_line_as_bufio_scanner_does()
    {
        var parsed = SecretsCommands.Parse("A=one\r\nB=\"two\"\r\nC=\"\"\"x\r\ny\"\"\"\r\nD=z\r\r\nE=in\rside\r");

        Assert.Equal("one", parsed["A"]);
        Assert.Equal("two", parsed["B"]);
        Assert.Equal("x\ny", parsed["C"]); // a CRLF value comes out LF
        Assert.Equal("z\r", parsed["D"]); // only one \r per line
        Assert.Equal("in\rside", parsed["E"]); // and only at the end of the line
    }

    [Fact]
    public void Secrets_import_reads_a_single_line_triple_quoted_value_and_goes_on()
    {
        var parsed = SecretsCommands.Parse("A=\"\"\"x \"q\" y\"\"\"\nB=next\nC=\"\"\"\"\"\"\nD=\"\"\"\"\nend\"\"\"\n");

        Assert.Equal("x \"q\" y", parsed["A"]);
        Assert.Equal("next", parsed["B"]);
        Assert.Equal("", parsed["C"]); // six quotes: an empty value
        Assert.Equal("\"\nend", parsed["D"]); // four quotes are under six bytes: a multi-line value opens
    }

    [Fact]
    public void Secrets_import_with_a_hash_in_a_triple_quoted_value_opens_a_multiline_value_that_swallows_the_next_lines()
    {
        // The audit's case: """a"b#c""" is cut at '#' (four quotes before it), leaving """a"b, which opens a
        // multi-line value; B's line becomes part of it, and the value is never closed, so both are lost.
        var parsed = SecretsCommands.Parse("A=\"\"\"a\"b#c\"\"\"\nB=kept?\n");

        Assert.Empty(parsed);
    }

    [Fact]
    public void Secrets_import_drops_an_unclosed_multiline_value_silently()
    {
        var parsed = SecretsCommands.Parse("A=ok\nB=\"\"\"first\n# not a comment here\n\nlast\n");

        Assert.Equal(["A"], parsed.Keys);
    }

    [Fact]
    public void Secrets_import_keeps_raw_lines_inside_a_multiline_value_and_closes_it_at_the_first_line_ending_with_triple_quotes()
    {
        var parsed = SecretsCommands.Parse("A=\"\"\"one # two\n# three\n\n  four\"\"\"\nB=after\n");

        Assert.Equal("one # two\n# three\n\n  four", parsed["A"]);
        Assert.Equal("after", parsed["B"]);
    }

    [Fact]
    public void Secrets_import_stops_silently_at_a_line_over_64_KiB_keeping_what_came_before()
    {
        var fits = "B=" + new string('x', 65535 - 2);
        var tooLong = "C=" + new string('x', 65536 - 2);

        Assert.Equal(["A", "B", "D"], SecretsCommands.Parse($"A=1\n{fits}\nD=4\n").Keys.Order());
        Assert.Equal(["A"], SecretsCommands.Parse($"A=1\n{tooLong}\nD=4\n").Keys);
    }

    [Theory]
    [InlineData("A=\"")]
    [InlineData("A='")]
    [InlineData("A=' # a comment")]
    public void Secrets_import_panics_on_a_value_that_is_a_lone_quote_as_flyctl_does(string line)
    {
        var panic = Assert.Throws<GoPanic>(() => SecretsCommands.Parse(line + "\n"));

        Assert.Equal("runtime error: slice bounds out of range [1:0]", panic.Message);
    }

    [Fact]
    public void Secrets_import_trims_leading_spaces_only_and_the_last_duplicate_wins()
    {
        var parsed = SecretsCommands.Parse("A=  x  \nB=\tx\n C =1\nC=2\nD=\"\"\nE='it''s'\n");

        Assert.Equal("x  ", parsed["A"]);
        Assert.Equal("\tx", parsed["B"]);
        Assert.Equal("2", parsed["C"]);
        Assert.Equal("", parsed["D"]);
        Assert.Equal("it''s", parsed["E"]);
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
