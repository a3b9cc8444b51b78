using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeployBuild.Tests.Support;

/// <summary>
/// The order in which xunit starts the test classes (each its own collection): the ones with the
/// longest single tests first, the rest in xunit's own order. xunit runs three tests at a time
/// (AssemblyInfo.cs), and the machine is busy until the last of them ends: a long test started
/// last runs nearly alone at the end, on an idle machine. Measured with bench/test-times.sh (a
/// class's seconds over its tests); a class missing here only starts later. The timing-sensitive
/// classes, which run in a phase of their own, are started in the same order there
/// (<see cref="TimingLastFramework"/>).
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Classes =
    [
        // Timing-sensitive (about 8, 8, 7, 6, 6 and 4 s of waiting).
        "ReleaseSettlerTests", "HealthPollerFailureTests", "HealthPollerAnswerTests", "CommandRunnerTests", "HealthPollerTests", "FlyLogStreamTests",
        "UnhealthyReleaseTests", "DeployFlowTests", "PlanTests", "EveryMachineTests", "ReadmeCommandsTests",
        "GitHubActionsTests", "ValidateTests", "RollbackTests", "SecretsSyncTests", "MemoryMetricsTests",
        "FaultMatrixPart1Tests", "FaultMatrixPart2Tests", "FaultMatrixPart4Tests", "FaultMatrixPart5Tests",
        "FaultMatrixPart7Tests", "FaultMatrixPart8Tests", "FaultMatrixPart3Tests", "FaultMatrixPart6Tests",
        "ValidateConfigTests", "HookTests", "MigrateTests", "RemoteBackupTests", "BackupTests",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(Rank)
            .ThenBy(c => c.UniqueID)
            .ToList();

    /// <summary>Where a class starts among the others: its place in the list, or after every class listed.</summary>
    public static int Rank(string className)
    {
        var rank = Array.IndexOf(Classes, className.Split('.')[^1]);
        return rank >= 0 ? rank : Classes.Length;
    }

    // A class's own collection is named "Test collection for <namespace>.<class>".
    private static int Rank(ITestCollection collection) => Rank(collection.DisplayName);
}
