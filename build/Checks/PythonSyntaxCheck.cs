using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>
/// "Pas d'erreurs de syntaxe Python": every tracked .py file compiles, in one Python process.
/// compile() is what py_compile runs, minus the .pyc it would write into the backend.
/// </summary>
public sealed class PythonSyntaxCheck : IPreDeployCheck
{
    private const string Script =
        """
        import sys
        paths = [p for p in sys.stdin.buffer.read().decode("utf-8").split("\0") if p]
        bad = 0
        for path in paths:
            try:
                with open(path, "rb") as handle:
                    compile(handle.read(), path, "exec", dont_inherit=True)
            except SyntaxError as error:
                bad += 1
                print(f"{path}:{error.lineno or 0}: {error.__class__.__name__}: {error.msg}")
            except (ValueError, OSError) as error:
                bad += 1
                print(f"{path}:0: {error}")
        print(f"checked {len(paths)}")
        sys.exit(1 if bad else 0)
        """;

    public string Name => "Python syntax";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var files = BackendFiles.Tracked(context.Settings.BackendPath, ".py");
        if (files.Count == 0)
        {
            return new CheckResult(Name, "no Python files", [Finding.Warn("the backend has no tracked .py file", "check --backend / backend in deploy.toml")], TimeSpan.Zero);
        }

        var python = ShellWords.Split(context.Settings.Validate.Python);
        var result = await context.Commands.RunAsync(new Command(python[0], [.. python.Skip(1), "-c", Script])
        {
            WorkingDirectory = context.Settings.BackendPath,
            StandardInput = string.Join('\0', files),
            Environment = new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" },
            Stream = false,
            SuccessCodes = [0, 1],
            Timeout = TimeSpan.FromMinutes(5),
            DisplayName = "python syntax check",
        }, cancellationToken);

        var errors = result.OutputLines.Where(l => !l.StartsWith("checked ", StringComparison.Ordinal)).ToList();
        if (result.ExitCode == 0)
        {
            return new CheckResult(Name, $"{files.Count} files compile", [], result.Duration);
        }

        var findings = errors.Select(e =>
        {
            var parts = e.Split(':', 3);
            return parts.Length == 3
                ? Finding.Fail(parts[2].Trim(), "fix the syntax error", $"{parts[0]}:{parts[1]}")
                : Finding.Fail(e, "fix the syntax error");
        }).ToList();
        return new CheckResult(Name, $"{findings.Count} of {files.Count} files do not compile", findings, result.Duration);
    }
}
