namespace DeployBuild.Demo;

/// <summary>Where this build's repository keeps the demo's parts: the sample backend, its variants, the flyctl simulator.</summary>
public sealed record RepoLayout(string Root)
{
    public string SampleBackend => Path.Combine(Root, "tests", "sample-backend");

    public string Variants => Path.Combine(Root, "tests", "sample-backend-variants");

    public string FlySimulator => Path.Combine(Root, "tests", "FlySim", "flyctl");

    /// <summary>The repository the running build was compiled from (found above its binaries).</summary>
    public static RepoLayout Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build", "Build.csproj")) &&
                Directory.Exists(Path.Combine(dir.FullName, "tests", "sample-backend")))
            {
                return new RepoLayout(dir.FullName);
            }
        }

        throw new InvalidOperationException($"The demo needs the repository it was built from (tests/sample-backend was not found above {AppContext.BaseDirectory}).");
    }
}
