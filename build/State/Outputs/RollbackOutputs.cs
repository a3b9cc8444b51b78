namespace DeployBuild.State;

/// <summary>
/// What a rollback did: the manual Rollback step, or AutoRollback after a failed deploy (same
/// record, <see cref="RunJournal.Read{T}(string)"/> with the step's name).
/// </summary>
public sealed record RollbackOutputs : IStepOutputs
{
    /// <summary>The step of the rollback a failed deploy runs by itself.</summary>
    public const string AutomaticStep = "AutoRollback";

    public static string Step => "Rollback";

    /// <summary>Manual rollback: the release serving before (null: none).</summary>
    public int? FromVersion { get; init; }

    public int? ToVersion { get; init; }

    public string? ToImage { get; init; }

    /// <summary>What happened to the schema ("downgraded 0004 -> 0003", "restored from ...", ...).</summary>
    public string? Schema { get; init; }

    /// <summary>Manual rollback: the backup restored (--restore-backup).</summary>
    public string? Restored { get; init; }

    /// <summary>What happened to the code ("v1 redeployed as v3 (image)", ...).</summary>
    public string? Code { get; init; }

    /// <summary>The release the redeploy of the previous image created: what serves now.</summary>
    public int? ServingVersion { get; init; }

    public string? Summary { get; init; }

    /// <summary>Whether everything was put back; null until the rollback ended.</summary>
    public bool? Complete { get; init; }

    /// <summary>What was put back, one line each.</summary>
    public IReadOnlyList<string>? Done { get; init; }

    /// <summary>What was NOT put back, one line each, with what to do.</summary>
    public IReadOnlyList<string>? Problems { get; init; }
}
