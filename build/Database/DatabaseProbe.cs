using Npgsql;

namespace DeployBuild.Database;

/// <summary>Direct reads of the database with Npgsql: schema revision, table sizes, row counts.</summary>
public static class DatabaseProbe
{
    /// <summary>alembic_version's revision(s) joined with '+', or null when the table is absent or empty.</summary>
    public static async Task<string?> RevisionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('alembic_version') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            return null;
        }

        await using var command = new NpgsqlCommand("SELECT version_num FROM alembic_version ORDER BY version_num", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var revisions = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            revisions.Add(reader.GetString(0));
        }

        return revisions.Count == 0 ? null : string.Join('+', revisions);
    }

    public static async Task<string?> RevisionAsync(PostgresUrl url, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(url.ConnectionString());
        await connection.OpenAsync(cancellationToken);
        return await RevisionAsync(connection, cancellationToken);
    }

    public static async Task<long> SizeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Exact row counts of every ordinary table outside the system schemas.</summary>
    public static async Task<SortedDictionary<string, long>> RowCountsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1
            """, connection, transaction))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection, transaction);
            counts[table] = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        return counts;
    }
}
