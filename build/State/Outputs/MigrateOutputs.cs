namespace DeployBuild.State;

/// <summary>
/// What Migrate recorded. Revisions are alembic's names ("base" is the empty schema); a null
/// <see cref="RevisionBefore"/> means the revision to go back to was not read yet.
/// </summary>
public sealed record MigrateOutputs : IStepOutputs
{
    public const string Base = "base";

    public static string Step => "Migrate";

    /// <summary>The revision to go back to, recorded before anything changes.</summary>
    public string? RevisionBefore { get; init; }

    public string? RevisionAfter { get; init; }

    public bool? Changed { get; init; }

    /// <summary>Set when the migration failed: whether the schema is back at <see cref="RevisionBefore"/>.</summary>
    public bool? SchemaRestored { get; init; }

    /// <summary>The backup restored after a failed migration (--restore-on-failure).</summary>
    public string? RestoredFromBackup { get; init; }

    /// <summary>A revision as Alembic commands take it: null for the empty schema.</summary>
    public static string? Revision(string? name) => name is null or Base ? null : name;
}
