namespace DeployBuild.State;

/// <summary>What Backup produced: the verified dump, and its off-machine copy when [backup.remote] is set.</summary>
public sealed record BackupOutputs : IStepOutputs
{
    public static string Step => "Backup";

    public required string File { get; init; }

    public required string Sha256 { get; init; }

    public long? SizeBytes { get; init; }

    /// <summary>The schema revision the dump holds (alembic's name; "base" for the empty schema).</summary>
    public string? Revision { get; init; }

    /// <summary>How the dump was verified: "read" (read back whole) or "restore" (restored and counted).</summary>
    public string? Verified { get; init; }

    public int? ArchiveEntries { get; init; }

    /// <summary>The database, as <c>user@host:port/name</c> (never the password).</summary>
    public string? Database { get; init; }

    public long? DatabaseBytes { get; init; }

    public int? Compression { get; init; }

    public double? DumpSeconds { get; init; }

    public double? VerifySeconds { get; init; }

    /// <summary>Row counts per table, when the dump was verified by a restore.</summary>
    public SortedDictionary<string, long>? Rows { get; init; }

    /// <summary>The verified off-machine copy (s3:// URL).</summary>
    public string? RemoteUrl { get; init; }

    public long? RemoteSizeBytes { get; init; }

    public string? RemoteSha256 { get; init; }

    /// <summary>"age to &lt;recipient&gt;"; null for a copy uploaded unencrypted.</summary>
    public string? RemoteEncryption { get; init; }

    public double? UploadSeconds { get; init; }
}
