using DeployBuild.Checks;
using DeployBuild.Process;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;
using Npgsql;

namespace DeployBuild.Tests.Checks;

/// <summary>
/// The checks that read the production database (Tooling: the server's version against pg_dump's;
/// Migrations: the revision) share one connection, and a database that cannot be reached is
/// reported by each with the cause, the password hidden.
/// </summary>
public sealed class DatabaseChecksTests
{
    [Fact]
    public async Task Tooling_and_Migrations_read_the_server_version_and_the_revision_over_one_connection()
    {
        using var database = PostgresCluster.Shared.CreateDatabase("checks");
        database.Execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('0003')");
        await using var watcher = database.Open();
        var major = watcher.PostgreSqlVersion.Major;
        var before = await SettledAsync(watcher);
        using var work = new TempDir();
        var context = Context(database.Url, work.Path);

        var results = await Task.WhenAll(new ToolingCheck().RunAsync(context, CancellationToken.None), new MigrationsCheck().RunAsync(context, CancellationToken.None));

        Assert.Contains($"server {major}", results[0].Summary);
        Assert.DoesNotContain(results[0].Findings, f => f.Message.Contains("database", StringComparison.Ordinal));
        Assert.Contains("0003", results[1].Summary);
        // The sessions' count is updated as each one ends: read it until it has settled.
        Assert.Equal(1, await SettledAsync(watcher) - before);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_fails_Tooling_with_the_cause_and_no_password()
    {
        using var work = new TempDir();
        // Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
        var context = Context("postgresql://nobody:s3cret-pw@127.0.0.1:9/nowhere", work.Path);

        var result = await new ToolingCheck().RunAsync(context, CancellationToken.None);

        var finding = Assert.Single(result.Findings, f => f.Message.StartsWith("cannot reach the database", StringComparison.Ordinal));
        Assert.Equal(CheckOutcome.Fail, finding.Outcome);
        Assert.Contains("127.0.0.1:9/nowhere", finding.Message);
        Assert.Contains("refused", finding.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret-pw", finding.Message);
        Assert.DoesNotContain(result.Findings, f => f.Message.Contains("s3cret-pw", StringComparison.Ordinal));
    }

    // flyctl is not what these tests are about: Tooling reports it missing and goes on to pg_dump.
    private static CheckContext Context(string url, string work) =>
        SampleCheckContext.Create(url, work, () => throw new ToolNotFoundException("flyctl", "not used here"));

    private static async Task<long> SessionsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT sessions FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> SettledAsync(NpgsqlConnection connection)
    {
        // Settled: the same count four reads in a row, a quarter of a second apart (at most ten seconds).
        var last = await SessionsAsync(connection);
        for (int reads = 0, same = 0; reads < 40 && same < 4; reads++)
        {
            await Task.Delay(250);
            var now = await SessionsAsync(connection);
            (last, same) = now == last ? (last, same + 1) : (now, 0);
        }

        return last;
    }
}
