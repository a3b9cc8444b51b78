namespace DeployBuild.TestBed;

/// <summary>Paths inside this repository, found from the running assembly's folder.</summary>
public static class RepoPaths
{
    public static readonly string Root = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string SampleBackend => Path("tests", "sample-backend");

    public static string Variants => Path("tests", "sample-backend-variants");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "build.sh")) &&
                Directory.Exists(System.IO.Path.Combine(dir.FullName, "tests", "sample-backend")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root above " + AppContext.BaseDirectory);
    }
}
