namespace DeployBuild.Bench.Figures;

/// <summary>Every figure the bench knows, in the order "all" runs them.</summary>
public static class Catalogue
{
    public static IReadOnlyList<IFigure> Implemented { get; } =
    [
        new StartupFigure(),
        new ValidateFigure(),
        new BackupFigure(),
        new VerifyFigure(),
        new RollbackFigure(),
        new FailFastFigure(),
        new MemoryFigure(),
    ];

    /// <summary>
    /// Figures planned but not written yet (none at the moment). To add one: a class implementing
    /// <see cref="IFigure"/> in this folder, listed in <see cref="Implemented"/>, and its line removed here.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Planned { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
