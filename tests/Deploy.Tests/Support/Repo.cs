namespace DeployBuild.Tests.Support;

/// <summary>Paths inside this repository, found from the test assembly's folder.</summary>
public static class Repo
{
    public static readonly string Root = Demo.RepoLayout.Locate().Root;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
