namespace DeployBuild.Checks;

/// <summary>
/// The backend folder is there and readable, checked once before any step that reads it: a
/// missing folder is one error naming it, where it came from and the fix, rather than every check
/// failing on its own (python3 "not found", no Dockerfile, no alembic.ini...).
/// </summary>
public static class BackendFolder
{
    /// <summary>What is wrong with the backend folder, with the fix; null when it can be read.</summary>
    public static string? Problem(Settings.DeploySettings settings)
    {
        var path = settings.BackendPath;
        string what;
        if (File.Exists(path))
        {
            what = "is a file, not a folder";
        }
        else if (!Directory.Exists(path))
        {
            what = "does not exist";
        }
        else
        {
            try
            {
                using var entries = Directory.EnumerateFileSystemEntries(path).GetEnumerator();
                entries.MoveNext();
                return null;
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                what = $"cannot be read ({ex.Message})";
            }
        }

        var origin = settings.BackendOrigin == "--backend"
            ? "It was given with --backend."
            : $"It comes from {settings.BackendOrigin}.";
        var deployToml = Path.GetFileName(settings.DeployTomlPath);
        var fix = what.StartsWith("cannot", StringComparison.Ordinal)
            ? $"Fix: let the user running the build read {path}, or pass --backend=<your backend folder>."
            : settings.BackendOrigin == "--backend"
                ? "Fix: pass --backend=<your backend folder> (the one holding its Dockerfile, alembic.ini and tests)."
                : $"Fix: clone the backend repository there, or pass --backend=<your backend folder>, or set backend in {deployToml}.";
        return $"The backend folder {path} {what}. {origin}{Environment.NewLine}{fix}{Environment.NewLine}" +
            "To see the whole deploy run without a backend or a Fly account of your own: ./build.sh --target=Demo";
    }
}

/// <summary>The backend folder is missing or unreadable: the run stops before any step.</summary>
public sealed class BackendFolderException(string message) : Exception(message);
