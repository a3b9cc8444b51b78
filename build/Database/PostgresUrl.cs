using System.Web;
using Npgsql;

namespace DeployBuild.Database;

/// <summary>
/// A PostgreSQL URL (postgres:// as Fly gives it, or postgresql://) turned into what each client
/// takes: an Npgsql connection string, or PG* variables for pg_dump/pg_restore/psql. The password
/// never lands on a command line.
/// </summary>
public sealed record PostgresUrl(string Host, int Port, string User, string? Password, string Database, string? SslMode)
{
    public static PostgresUrl Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException("the database URL must look like postgres://user:password@host:5432/database");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var query = HttpUtility.ParseQueryString(uri.Query);
        return new PostgresUrl(
            uri.Host,
            uri.Port > 0 ? uri.Port : 5432,
            Uri.UnescapeDataString(userInfo[0]),
            userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            database.Length > 0 ? database : Uri.UnescapeDataString(userInfo[0]),
            query["sslmode"]);
    }

    public string ConnectionString(string? database = null, int timeoutSeconds = 10)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = User,
            Password = Password,
            Database = database ?? Database,
            Timeout = timeoutSeconds,
            Pooling = false,
        };
        if (SslMode is { } mode && Enum.TryParse<SslMode>(mode.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var ssl))
        {
            builder.SslMode = ssl;
        }

        return builder.ConnectionString;
    }

    /// <summary>The libpq environment for pg_dump and friends.</summary>
    public IReadOnlyDictionary<string, string?> Environment(string? database = null) => new Dictionary<string, string?>
    {
        ["PGHOST"] = Host,
        ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PGUSER"] = User,
        ["PGPASSWORD"] = Password,
        ["PGDATABASE"] = database ?? Database,
        ["PGSSLMODE"] = SslMode,
        ["PGCONNECT_TIMEOUT"] = "10",
    };

    /// <summary>Host, port and database, for messages: never the password.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}/{Database}";
}
