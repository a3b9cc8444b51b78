namespace DeployBuild.TestBed;

/// <summary>Paths inside this repository, found from the running assembly's folder.</summary>
public static class RepoPaths
{
    public static readonly string Root = Demo.RepoLayout.Locate().Root;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string SampleBackend => Path("tests", "sample-backend");

    public static string Variants => Path("tests", "sample-backend-variants");
}
