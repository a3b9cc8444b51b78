namespace DeployBuild.Bench.Figures;

/// <summary>Every figure the bench knows, in the order "all" runs them.</summary>
public static class Catalogue
{
    public static IReadOnlyList<IFigure> Implemented { get; } =
    [
        new StartupFigure(),
        new ValidateFigure(),
        new BackupFigure(),
    ];

    /// <summary>
    /// Figures planned but not written yet. To add one: a class implementing <see cref="IFigure"/>
    /// in this folder, listed in <see cref="Implemented"/>, and its line removed here.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Planned { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["verify"] = "time to detect an unhealthy release (Verify against FlySim's unhealthy variant)",
        ["rollback"] = "time to recover: failure after Migrate/Release until the old release verifies again",
        ["memory"] = "peak RSS of the build over a Demo deploy (MemoryProbe over ./build.sh --target=Deploy)",
    };
}
