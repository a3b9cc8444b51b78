using DeployBuild.Checks;
using DeployBuild.Database;
using DeployBuild.Process;

namespace DeployBuild.Tests.Checks;

/// <summary>The parsing the checks rely on, on the outputs the real tools print.</summary>
public sealed class CheckPartsTests
{
    [Fact]
    public void Pytest_failures_are_named()
    {
        const string output = """
            ..F.
            =========================== short test summary info ============================
            FAILED tests/test_totals.py::test_broken_total_calories - assert 492.7 == 495.0
            ERROR tests/test_db.py::test_connect - RuntimeError: boom
            ================ 1 failed, 48 passed, 3 skipped, 1 error in 2.31s ================
            """;

        Assert.Equal(
            ["tests/test_totals.py::test_broken_total_calories - assert 492.7 == 495.0", "tests/test_db.py::test_connect - RuntimeError: boom"],
            BackendTestsCheck.FailedTests(output));
        Assert.Equal("1 failed, 48 passed, 3 skipped, 1 error in 2.31s", BackendTestsCheck.Summary(output));
    }

    [Fact]
    public void Dockerfile_ports_and_command_are_read_across_continuations_and_forms()
    {
        var dockerfile = Dockerfile.Parse("""
            FROM python:3.11-slim
            # a comment
            EXPOSE 8000/tcp 9090
            CMD ["python3", "-m", "uvicorn", "app.main:app", \
                 "--host", "0.0.0.0", "--port", "8000"]
            """);

        Assert.Equal([(8000, 3), (9090, 3)], dockerfile.ExposedPorts());
        var command = dockerfile.Command()!.Value;
        Assert.Equal(4, command.Line);
        Assert.Equal(8000, Dockerfile.ListenPort(command.Words));
        Assert.Equal(8080, Dockerfile.ListenPort(["gunicorn", "-b", "0.0.0.0:8080", "app:app"]));
        Assert.Equal(5000, Dockerfile.ListenPort(["uvicorn", "--port=5000"]));
        Assert.Null(Dockerfile.ListenPort(["sh", "-c", "uvicorn app:app --port $PORT"]));
        Assert.True(Dockerfile.UsesPortVariable(["sh", "-c", "uvicorn app:app --port ${PORT}"]));
    }

    [Fact]
    public void Dockerfile_port_mismatches_fail_with_the_line()
    {
        var dockerfile = Dockerfile.Parse("FROM x\nEXPOSE 5000\nCMD [\"uvicorn\", \"app:app\", \"--port\", \"5000\"]\n");

        var findings = DockerfileCheck.Ports(dockerfile, "Dockerfile", 8000, "fly.toml").ToList();

        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal(CheckOutcome.Fail, f.Outcome));
        Assert.Equal("Dockerfile:2", findings[0].Location);
        Assert.Equal("Dockerfile:3", findings[1].Location);
        Assert.Contains("CMD listens on port 5000 but fly.toml's internal_port is 8000", findings[1].Message);
    }

    [Fact]
    public void Dockerfile_without_cmd_fails()
    {
        var findings = DockerfileCheck.Ports(Dockerfile.Parse("FROM x\n"), "Dockerfile", 8000, "fly.toml").ToList();

        Assert.Equal(CheckOutcome.Fail, Assert.Single(findings).Outcome);
    }

    [Fact]
    public void Empty_downgrades_are_told_apart_from_real_ones()
    {
        const string sql = """
            BEGIN;

            -- Running downgrade 0005 -> 0004

            UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0005';

            -- Running downgrade 0004 -> 0003

            ALTER TABLE foods DROP COLUMN serving_g;

            UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0004';

            COMMIT;
            """;

        var blocks = MigrationsCheck.DowngradeBlocks(sql);

        Assert.Equal(0, blocks["0005"]);
        Assert.Equal(1, blocks["0004"]);
    }

    [Fact]
    public void Upgrade_sql_lines_map_to_their_revision()
    {
        const string sql = "SET lock_timeout = '10s';\n-- Running upgrade 0003 -> 0004\nALTER TABLE a ADD b int;\n-- Running upgrade 0004 -> 0005\nDROP TABLE c;\n";

        var owner = MigrationsCheck.RevisionByLine(sql);

        Assert.Null(owner(0));
        Assert.Equal("0004", owner(2));
        Assert.Equal("0005", owner(4));
    }

    [Theory]
    [InlineData("python3 -m pytest -q", new[] { "python3", "-m", "pytest", "-q" })]
    [InlineData("pytest -k 'not slow and not db'", new[] { "pytest", "-k", "not slow and not db" })]
    [InlineData("\"/opt/my python/bin/python3\" -m alembic", new[] { "/opt/my python/bin/python3", "-m", "alembic" })]
    [InlineData("echo a\\ b $HOME", new[] { "echo", "a b", "$HOME" })]
    public void Commands_split_like_a_shell_without_expansion(string command, string[] words) =>
        Assert.Equal(words, ShellWords.Split(command));

    [Fact]
    public void Unbalanced_quotes_are_refused() => Assert.Throws<FormatException>(() => ShellWords.Split("pytest -k 'oops"));

    [Fact]
    public void Database_urls_become_pg_variables_without_leaking_the_password()
    {
        var url = PostgresUrl.Parse("postgres://app:s%40cret@db.internal:6543/nutri?sslmode=require");

        Assert.Equal(("db.internal", 6543, "app", "s@cret", "nutri", "require"), (url.Host, url.Port, url.User, url.Password, url.Database, url.SslMode));
        Assert.Equal("s@cret", url.Environment()["PGPASSWORD"]);
        Assert.Equal("app@db.internal:6543/nutri", url.ToString());
        Assert.DoesNotContain("cret", url.ToString());
        Assert.Throws<FormatException>(() => PostgresUrl.Parse("mysql://x@y/z"));
    }
}
