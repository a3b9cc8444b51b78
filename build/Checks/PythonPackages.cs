using System.Text.Json;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>
/// Before the checks: can the Python that runs the backend's tests and migrations import the
/// backend's packages? A pyenv shim or a virtualenv without them otherwise shows up as a
/// screenful of import errors in several checks; this says it once, naming the interpreter and
/// the fix.
/// </summary>
public static class PythonPackages
{
    // Reads {"modules": [...], "requirements": [...]} on stdin; prints what this interpreter lacks.
    // A requirement counts as present when its distribution is installed, or when a module of its
    // name imports: Debian ships psycopg2-binary's module as the distribution psycopg2.
    private const string Probe =
        """
        import importlib.metadata, importlib.util, json, re, sys
        asked = json.load(sys.stdin)
        def importable(name):
            try:
                return importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                return False
        def installed(requirement):
            try:
                importlib.metadata.distribution(requirement)
                return True
            except importlib.metadata.PackageNotFoundError:
                pass
            module = re.sub(r"[-.]", "_", requirement.lower())
            return importable(module) or importable(re.sub(r"_binary$", "", module))
        print(json.dumps({
            "executable": sys.executable,
            "prefix": sys.prefix,
            "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
            "version": sys.version.split()[0],
            "missing_modules": [m for m in asked["modules"] if not importable(m)],
            "missing_requirements": [r for r in asked["requirements"] if not installed(r)],
        }))
        """;

    /// <summary>The one error to stop on, or null when the interpreters can import what the backend needs.</summary>
    public static async Task<string?> ProblemAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var settings = context.Settings;
        var requirements = Requirements(settings.BackendPath);
        var interpreters = new Dictionary<string, (IReadOnlyList<string> Words, List<string> Modules, List<string> UsedBy)>(StringComparer.Ordinal);
        Add(settings.Tests.Command, "tests.command");
        Add(settings.Migrations.Command, "migrations.command");

        foreach (var (_, (words, modules, usedBy)) in interpreters)
        {
            var input = JsonSerializer.Serialize(new { modules, requirements = requirements.Names });
            CommandResult result;
            try
            {
                result = await context.Commands.RunAsync(new Command(words[0], [.. words.Skip(1), "-c", Probe])
                {
                    WorkingDirectory = settings.BackendPath,
                    StandardInput = input,
                    Environment = new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" },
                    Stream = false,
                    Timeout = TimeSpan.FromMinutes(1),
                    DisplayName = "python packages probe",
                }, cancellationToken);
            }
            catch (ToolNotFoundException ex)
            {
                return $"{ex.Message} It runs {string.Join(" and ", usedBy)}: set them in deploy.toml to a Python that has the backend's packages.";
            }
            catch (CommandFailedException)
            {
                // Not a Python this probe understands (or too old): the checks will say what fails.
                continue;
            }

            var found = JsonSerializer.Deserialize<ProbeResult>(result.OutputLines.LastOrDefault() ?? "{}", JsonOptions);
            if (found is null)
            {
                continue;
            }

            // The command's own module (pytest, alembic) missing is certain; requirements are
            // matched by name, so only a majority missing is taken as the wrong interpreter.
            var wrongInterpreter = found.MissingModules.Count > 0 ||
                (requirements.Names.Count > 0 && found.MissingRequirements.Count * 2 >= requirements.Names.Count);
            if (wrongInterpreter)
            {
                return Explain(string.Join(' ', words), found, usedBy, requirements, settings.BackendPath, CommandRunner.TryResolve(words[0]));
            }
        }

        return null;

        void Add(string command, string setting)
        {
            var words = ShellWords.Split(command);
            var dashM = words.ToList().IndexOf("-m");
            if (dashM < 1 || dashM + 1 >= words.Count)
            {
                return; // not "python -m module ...": a console script, nothing to probe
            }

            var interpreter = words.Take(dashM).ToList();
            var key = string.Join('\0', interpreter);
            if (!interpreters.TryGetValue(key, out var entry))
            {
                entry = (interpreter, [], []);
                interpreters[key] = entry;
            }

            entry.Modules.Add(words[dashM + 1]);
            entry.UsedBy.Add(setting);
        }
    }

    private static string Explain(string interpreter, ProbeResult found, List<string> usedBy, (IReadOnlyList<string> Names, IReadOnlyList<string> Files) requirements,
        string backend, string? resolved)
    {
        var missing = found.MissingModules.Concat(found.MissingRequirements).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var from = requirements.Files.Count > 0 ? $" (from {string.Join(", ", requirements.Files)})" : string.Empty;
        var where = found.Venv ? $"the virtualenv {found.Prefix}" : found.Executable;
        var lines = new List<string>
        {
            $"'{interpreter}' ({where}, Python {found.Version}), which runs {string.Join(" and ", usedBy)}, cannot import the backend's packages: " +
            $"{string.Join(", ", missing)}{from}. The tests and the migrations would fail with import errors.",
            "Fix, one of:",
        };
        var venv = new[] { ".venv", "venv" }.Select(v => Path.Combine(backend, v)).FirstOrDefault(v => File.Exists(Path.Combine(v, "bin", "python")));
        if (found.Executable.Contains("/.pyenv/", StringComparison.Ordinal) || resolved?.Contains("/.pyenv/", StringComparison.Ordinal) == true)
        {
            lines.Add("  - with pyenv, run with the system Python, which has the distribution's packages: PYENV_VERSION=system ./build.sh ...");
        }

        if (venv is not null && !found.Venv)
        {
            lines.Add($"  - activate the backend's virtualenv first: . {venv}/bin/activate, then ./build.sh ...");
        }
        else if (found.Venv)
        {
            lines.Add($"  - install them in that virtualenv: {found.Executable} -m pip install -r {Path.Combine(backend, requirements.Files.LastOrDefault() ?? "requirements.txt")}; or deactivate it");
        }
        else
        {
            lines.Add($"  - install them for this Python: {interpreter} -m pip install -r {Path.Combine(backend, requirements.Files.LastOrDefault() ?? "requirements.txt")}");
        }

        lines.Add("  - or name an interpreter that has them in deploy.toml: validate.python = \"/path/to/python3\", and the same in tests.command and migrations.command " +
            "(\"/path/to/python3 -m pytest -q\", \"/path/to/python3 -m alembic\")");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The distribution names in the backend's requirements files (requirements-dev.txt includes requirements.txt's through -r).</summary>
    internal static (IReadOnlyList<string> Names, IReadOnlyList<string> Files) Requirements(string backend)
    {
        var names = new List<string>();
        var files = new List<string>();
        foreach (var file in new[] { "requirements.txt", "requirements-dev.txt" })
        {
            var path = Path.Combine(backend, file);
            if (!File.Exists(path))
            {
                continue;
            }

            files.Add(file);
            foreach (var raw in File.ReadLines(path))
            {
                var line = raw.Split('#')[0].Trim();
                // Options (-r, -e, --index-url) and conditional requirements (markers) are not probed.
                if (line.Length == 0 || line.StartsWith('-') || line.Contains(';') || line.Contains("://", StringComparison.Ordinal))
                {
                    continue;
                }

                var name = new string(line.TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').ToArray());
                if (name.Length > 0 && !names.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(name);
                }
            }
        }

        return (names, files);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record ProbeResult(string Executable, string Prefix, bool Venv, string Version, List<string> MissingModules, List<string> MissingRequirements);
}
