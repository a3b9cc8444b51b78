using DeployBuild.Checks;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Checks;

/// <summary>The Migrations check where no bed is needed: the sample backend's migrations, and no database.</summary>
public sealed class MigrationsCheckTests
{
    [Fact]
    public async Task A_database_that_cannot_be_reached_is_one_failure_naming_the_cause()
    {
        using var work = new TempDir();
        // Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
        var context = SampleCheckContext.Create("postgresql://nobody:secret@127.0.0.1:9/nowhere", work.Path,
            () => throw new InvalidOperationException("the Migrations check does not use flyctl"));

        var result = await new MigrationsCheck().RunAsync(context, CancellationToken.None);

        Assert.Equal("database revision unknown", result.Summary);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(CheckOutcome.Fail, finding.Outcome);
        Assert.StartsWith("cannot read the database's revision: ", finding.Message);
        Assert.Contains("refused", finding.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", finding.Message);
    }
}
