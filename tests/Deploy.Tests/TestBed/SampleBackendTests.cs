using DeployBuild.TestBed;

namespace DeployBuild.Tests.TestBed;

/// <summary>The sample backend's migrations, against a real throwaway PostgreSQL cluster.</summary>
public sealed class SampleBackendTests
{
    [Fact]
    public async Task A_release_that_rewrites_a_file_at_the_same_size_at_once_is_committed_whole()
    {
        // next-release changes app/version.py from "1.0.0" to "1.1.0": same size, and here in the same
        // second as the first commit, where git's stat check alone would call the file unchanged.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var backend = await SampleBackend.CreateAsync();
            await backend.ApplyAsync("next-release");

            Assert.Equal(string.Empty, (await backend.GitAsync("status", "--porcelain")).Stdout);
            Assert.Contains("VERSION = \"1.1.0\"", (await backend.GitAsync("show", "HEAD:app/version.py")).Stdout);
        }
    }

    [Fact]
    public async Task Migrations_go_up_to_head_down_to_base_and_up_again()
    {
        using var backend = await SampleBackend.CreateAsync();
        using var database = PostgresCluster.Shared.CreateDatabase();

        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));
        Assert.Equal("0003", database.Scalar("SELECT version_num FROM alembic_version"));
        var headSchema = database.Schema();
        Assert.Contains(headSchema, c => c.StartsWith("foods.category ", StringComparison.Ordinal));

        await Succeeds(backend.AlembicAsync(database.Url, "downgrade", "0001"));
        Assert.Equal("0001", database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.DoesNotContain(database.Schema(), c => c.StartsWith("foods.category ", StringComparison.Ordinal));

        await Succeeds(backend.AlembicAsync(database.Url, "downgrade", "base"));
        Assert.DoesNotContain(database.Schema(), c => !c.Contains("alembic_version", StringComparison.Ordinal));

        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));
        Assert.Equal(headSchema, database.Schema());
    }

    [Fact]
    public async Task Seeded_rows_survive_a_reversible_release_going_up_and_down()
    {
        using var backend = await SampleBackend.CreateAsync();
        using var database = PostgresCluster.Shared.CreateDatabase();
        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));
        await Succeeds(backend.SeedAsync(database.Url, 500));
        var before = database.Snapshot();
        var schemaBefore = database.Schema();

        await backend.ApplyAsync("next-release");
        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));
        Assert.Equal("0004", database.Scalar("SELECT version_num FROM alembic_version"));
        await Succeeds(backend.AlembicAsync(database.Url, "downgrade", "0003"));

        Assert.Equal(schemaBefore, database.Schema());
        Assert.Equal(before, database.Snapshot());
    }

    [Fact]
    public async Task Failing_migration_stops_half_way_at_0004()
    {
        using var backend = await SampleBackend.CreateAsync();
        using var database = PostgresCluster.Shared.CreateDatabase();
        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));
        await backend.ApplyAsync("failing-migration");

        var upgrade = await backend.AlembicAsync(database.Url, "upgrade", "head");

        Assert.NotEqual(0, upgrade.ExitCode);
        Assert.Contains("categroy", upgrade.Output);
        Assert.Equal("0004", database.Scalar("SELECT version_num FROM alembic_version"));
    }

    [Fact]
    public async Task Irreversible_downgrade_refuses()
    {
        using var backend = await SampleBackend.CreateAsync("irreversible-downgrade");
        using var database = PostgresCluster.Shared.CreateDatabase();
        await Succeeds(backend.AlembicAsync(database.Url, "upgrade", "head"));

        var downgrade = await backend.AlembicAsync(database.Url, "downgrade", "0003");

        Assert.NotEqual(0, downgrade.ExitCode);
        Assert.Contains("irreversible", downgrade.Output);
        Assert.Equal("0004", database.Scalar("SELECT version_num FROM alembic_version"));
    }

    [Fact]
    public async Task Multiple_heads_are_listed()
    {
        using var backend = await SampleBackend.CreateAsync("multiple-heads");

        var heads = await backend.AlembicAsync("postgresql://unused@127.0.0.1:1/none", "heads");

        Assert.Equal(0, heads.ExitCode);
        Assert.Contains("0004a", heads.Stdout);
        Assert.Contains("0004b", heads.Stdout);
    }

    [Fact]
    public async Task Offline_sql_needs_no_database()
    {
        using var backend = await SampleBackend.CreateAsync();

        var sql = await backend.AlembicAsync("postgresql://unused@127.0.0.1:1/none", "upgrade", "0001:head", "--sql");

        Assert.Equal(0, sql.ExitCode);
        Assert.Contains("ALTER TABLE foods ADD COLUMN category", sql.Stdout);
    }

    [Fact]
    public void Cluster_fixture_fails_with_the_install_command_when_postgres_is_missing()
    {
        Assert.Contains("apt-get install -y postgresql", DeployBuild.Demo.ThrowawayPostgres.InstallHint);
        Assert.NotNull(PostgresCluster.FindBinaries());
    }

    [Fact]
    public async Task A_cluster_is_removed_with_its_processes_when_disposed()
    {
        var cluster = PostgresCluster.StartCluster();
        await cluster.CreateDatabaseAsync("probe");
        await using (var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString("probe")))
        {
            await connection.OpenAsync();
        }

        var pid = int.Parse(File.ReadLines(Path.Combine(cluster.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        cluster.Dispose();

        Assert.False(Directory.Exists(cluster.Root));
        Assert.False(DeployBuild.Demo.ThrowawayPostgres.IsAlive(pid), "the postmaster is still running");
    }

    private static async Task Succeeds(Task<ProcessResult> run)
    {
        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
