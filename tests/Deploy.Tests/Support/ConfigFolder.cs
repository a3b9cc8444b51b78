namespace DeployBuild.Tests.Support;

/// <summary>A copy of backend-config in a temp folder, with a backend folder beside it, for tests to break.</summary>
public sealed class ConfigFolder : IDisposable
{
    private readonly TempDir _dir = new("deploy-config");

    public ConfigFolder()
    {
        Directory.CreateDirectory(Config);
        Directory.CreateDirectory(Backend);
        foreach (var file in Directory.GetFiles(Repo.Path("backend-config"), "*.toml"))
        {
            File.Copy(file, System.IO.Path.Combine(Config, System.IO.Path.GetFileName(file)));
        }

        // The shipped config points at ../backend; this folder has one.
        Edit("deploy.toml", text => text);
    }

    public string Root => _dir.Path;

    public string Config => _dir.File("backend-config");

    public string Backend => _dir.File("backend");

    public string StateDir => _dir.File(".deploy");

    public string DeployToml => System.IO.Path.Combine(Config, "deploy.toml");

    public string FlyToml => System.IO.Path.Combine(Config, "fly.toml");

    public void Edit(string file, Func<string, string> change)
    {
        var path = System.IO.Path.Combine(Config, file);
        File.WriteAllText(path, change(File.ReadAllText(path)));
    }

    /// <summary>1-based line number of the first line containing <paramref name="text"/>.</summary>
    public int LineOf(string file, string text) =>
        Array.FindIndex(File.ReadAllLines(System.IO.Path.Combine(Config, file)), l => l.Contains(text, StringComparison.Ordinal)) + 1;

    public void Dispose() => _dir.Dispose();
}
