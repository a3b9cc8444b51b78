namespace DeployBuild.Tests.Support;

/// <summary>Paths inside this repository, found from the test assembly's folder.</summary>
public static class Repo
{
    public static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "build.sh")) &&
                File.Exists(System.IO.Path.Combine(dir.FullName, "build", "Build.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (build.sh) above " + AppContext.BaseDirectory);
    }
}
