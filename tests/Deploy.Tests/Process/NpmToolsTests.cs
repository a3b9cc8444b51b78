using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Process;

/// <summary>Where the build finds its npm tools (squawk, dockerfilelint).</summary>
public sealed class NpmToolsTests
{
    [Fact]
    public void Tools_are_found_in_a_build_kept_without_the_repositorys_tests()
    {
        // A user who keeps build/ and backend-config/ but not tests/ (no sample backend, no
        // simulator): the compiled build under .build-cache still finds build/tools.
        using var clone = new TempDir("kept-build");
        clone.Write("build/Build.csproj", "<Project />");
        clone.Write("build/tools/package.json", File.ReadAllText(Repo.Path("build", "tools", "package.json")));
        var binaries = Directory.CreateDirectory(clone.File(".build-cache", "bin-0123456789abcdef0123")).FullName;

        Assert.False(Directory.Exists(clone.File("tests")));
        Assert.Equal(clone.File("build", "tools"), NpmTools.Locate(binaries));
    }

    [Fact]
    public void Without_build_tools_the_error_says_what_is_missing_and_the_fix()
    {
        using var elsewhere = new TempDir("no-tools");

        var failure = Assert.Throws<ToolNotFoundException>(() => NpmTools.Locate(elsewhere.Path));

        Assert.Contains("build/tools/package.json, which was not found above " + elsewhere.Path, failure.Message);
        Assert.Contains("DEPLOY_TOOLS_DIR", failure.Message);
    }
}
