using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Cli;

/// <summary>
/// The first hour of a new user: a fresh clone with no backend beside it, a backend folder that
/// is not where the config says, a Python that lacks the backend's packages. Each is one error
/// that names the cause and the fix, before any check runs.
/// </summary>
public sealed class NewUserTests
{
    private static readonly Dictionary<string, string?> NoProduction = new() { ["DATABASE_URL"] = null, ["FLYCTL"] = null };

    /// <summary>A clone's shipped backend-config, in a folder of its own, with nothing beside it.</summary>
    private static TempDir FreshClone()
    {
        var clone = new TempDir("fresh-clone");
        foreach (var file in Directory.GetFiles(Repo.Path("backend-config"), "*.toml"))
        {
            clone.Write(Path.Combine("backend-config", Path.GetFileName(file)), File.ReadAllText(file));
        }

        return clone;
    }

    private static int BackendLine() =>
        Array.FindIndex(File.ReadAllLines(Repo.Path("backend-config", "deploy.toml")), l => l.StartsWith("backend = ", StringComparison.Ordinal)) + 1;

    private static IReadOnlyList<string> Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();

    [Fact]
    public async Task Build_sh_without_arguments_on_a_fresh_clone_ends_with_what_to_do_next()
    {
        using var clone = FreshClone();

        var result = await BuildRunner.RunAsync([], clone.Path, NoProduction);

        Assert.Equal(1, result.ExitCode);
        var backend = clone.File("backend");
        Assert.Contains($"The backend folder {backend} does not exist. It comes from backend-config/deploy.toml:{BackendLine()}:", result.Output);
        Assert.Contains("backend = \"../backend\"", result.Output);
        Assert.Contains("pass --backend=<your backend folder>", result.Output);
        // One error, not one per check: no check ran, no program was started in the missing folder.
        Assert.Equal(1, CountOf(result.Output, "The backend folder"));
        Assert.DoesNotContain("python3", result.Output);
        Assert.DoesNotContain("Dockerfile not found", result.Output);
        Assert.DoesNotContain("was not found", result.Output);
        Assert.DoesNotContain("Running 8 pre-deploy checks", result.Output);
        Assert.False(Directory.Exists(clone.File(".deploy", "runs")), "no run journal: nothing started");
        // The last thing printed is what to do next.
        Assert.EndsWith("./build.sh --target=Demo", Lines(result.Stderr)[^1]);
        Assert.True(result.Stdout.LastIndexOf("Total:", StringComparison.Ordinal) >= 0, result.ToString());
    }

    [Fact]
    public async Task A_missing_backend_given_with_backend_is_one_error_naming_the_argument_before_any_step_of_a_deploy()
    {
        using var clone = FreshClone();

        var result = await BuildRunner.RunAsync(["--target=Deploy", "--backend=../nowhere"], clone.Path, NoProduction);

        Assert.Equal(1, result.ExitCode);
        var nowhere = Path.GetFullPath(Path.Combine(clone.Path, "..", "nowhere"));
        Assert.Contains($"The backend folder {nowhere} does not exist. It was given with --backend.", result.Output);
        Assert.Contains("Fix: pass --backend=<your backend folder> (the one holding its Dockerfile, alembic.ini and tests).", result.Output);
        Assert.DoesNotContain("deploy.toml:", result.Output);
        Assert.DoesNotContain("Running 8 pre-deploy checks", result.Output);
        Assert.False(File.Exists(clone.File(".deploy", "deploy.lock")));
        Assert.False(Directory.Exists(clone.File(".deploy", "runs")));
    }

    [Fact]
    public async Task A_backend_that_is_a_file_is_said_so_and_a_dry_run_warns_instead_of_stopping()
    {
        using var clone = FreshClone();
        clone.Write("backend", "not a folder");

        var run = await BuildRunner.RunAsync(["--target=Validate"], clone.Path, NoProduction);
        var dry = await BuildRunner.RunAsync(["--target=Deploy", "--dryrun"], clone.Path, NoProduction);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"The backend folder {clone.File("backend")} is a file, not a folder.", run.Output);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("is a file, not a folder", dry.Output);
        Assert.Contains("(A real run would stop here, before any step.)", dry.Output);
    }

    [Fact]
    public async Task Steps_that_do_not_read_the_backend_are_not_refused_for_a_missing_one()
    {
        // Status and a manual Rollback to a release never open the backend: they are not refused.
        using var clone = FreshClone();

        var result = await BuildRunner.RunAsync(["--target=Status"], clone.Path, NoProduction);

        Assert.DoesNotContain("The backend folder", result.Output);
    }

    [Fact]
    public async Task A_pyenv_shim_without_the_backends_packages_is_said_once_with_the_fix()
    {
        using var folder = new ConfigFolder();
        CopySampleBackend(folder.Backend);
        // A Python that finds none of the distribution's packages, where pyenv puts its shims.
        using var home = new TempDir("pyenv-home");
        var shim = home.Write(".pyenv/shims/python3", "#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n");
        File.SetUnixFileMode(shim, File.GetUnixFileMode(shim) | UnixFileMode.UserExecute);

        var result = await BuildRunner.RunAsync([$"--config={folder.Config}", $"--state-dir={folder.StateDir}", "--target=Validate"], folder.Root,
            new Dictionary<string, string?>(NoProduction) { ["PATH"] = $"{Path.GetDirectoryName(shim)}:{Environment.GetEnvironmentVariable("PATH")}" });

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, CountOf(result.Output, "cannot import the backend's packages"));
        Assert.Contains("'python3' (/usr/bin/python3, Python 3.", result.Output);
        Assert.Contains("which runs tests.command and migrations.command", result.Output);
        Assert.Matches(@"packages: pytest, alembic, [^\n]*fastapi[^\n]*\(from requirements\.txt, requirements-dev\.txt\)", result.Output);
        Assert.Contains("PYENV_VERSION=system ./build.sh", result.Output);
        Assert.Contains("validate.python = ", result.Output);
        Assert.Contains("No check ran; nothing was changed.", result.Output);
        Assert.DoesNotContain("No module named", result.Output);
        Assert.DoesNotContain("Backend tests", result.Output);
    }

    [Fact]
    public async Task A_virtualenv_without_the_backends_packages_names_it_and_how_to_fill_it()
    {
        using var folder = new ConfigFolder();
        CopySampleBackend(folder.Backend);
        using var venv = new TempDir("empty-venv");
        var made = await ProcessRunner.RunAsync("/usr/bin/python3", ["-m", "venv", "--without-pip", venv.Path], venv.Path, timeout: TimeSpan.FromMinutes(1));
        Assert.True(made.ExitCode == 0, made.ToString());

        // As `. venv/bin/activate` leaves the environment.
        var result = await BuildRunner.RunAsync([$"--config={folder.Config}", $"--state-dir={folder.StateDir}", "--target=Validate"], folder.Root,
            new Dictionary<string, string?>(NoProduction)
            {
                ["PATH"] = $"{venv.File("bin")}:{Environment.GetEnvironmentVariable("PATH")}",
                ["VIRTUAL_ENV"] = venv.Path,
            });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'python3' (the virtualenv {venv.Path}, Python 3.", result.Output);
        Assert.Contains($"install them in that virtualenv: {venv.File("bin", "python3")} -m pip install -r {Path.Combine(folder.Backend, "requirements-dev.txt")}", result.Output);
        Assert.DoesNotContain("PYENV_VERSION=system", result.Output);
        Assert.DoesNotContain("No module named", result.Output);
    }

    [Fact]
    public async Task A_deploy_with_no_flyctl_and_no_database_stops_at_Validate_and_its_failure_handling_needs_neither()
    {
        using var folder = new ConfigFolder();
        CopySampleBackend(folder.Backend);

        var result = await BuildRunner.RunAsync([$"--config={folder.Config}", $"--state-dir={folder.StateDir}", "--target=Deploy"], folder.Root, NoProduction);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'flyctl' was not found. Install flyctl", result.Output);
        Assert.Contains("$DATABASE_URL is not set", result.Output);
        Assert.Contains("Validate failed: ", result.Output);
        Assert.Contains("Nothing was changed.", result.Output);
        // The failure handler tells the runbook case without flyctl (nothing to capture, nothing to roll back).
        Assert.Contains("Runbook case: Pre-deploy check failed. A check of the checklist failed; nothing was changed.", result.Output);
        Assert.DoesNotContain("Handling the failure of", result.Output);
        Assert.DoesNotContain("Diagnostics could not be captured", result.Output);
        Assert.DoesNotContain("rollback", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static void CopySampleBackend(string target)
    {
        var source = Repo.Path("tests", "sample-backend");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
