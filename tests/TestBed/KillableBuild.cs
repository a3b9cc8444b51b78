using System.Diagnostics;
using System.Text;

namespace DeployBuild.TestBed;

/// <summary>A build started with setsid: its pid is its process group, which <see cref="Kill"/> SIGKILLs whole.</summary>
public sealed class KillableBuild : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _output = new();

    private KillableBuild(System.Diagnostics.Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static KillableBuild Start(IReadOnlyList<string> command, string workingDirectory, IDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in command)
        {
            info.ArgumentList.Add(word);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["PYENV_VERSION"] = "system";
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("could not start setsid");
        var build = new KillableBuild(process);
        process.OutputDataReceived += (_, e) => build.Append(e.Data);
        process.ErrorDataReceived += (_, e) => build.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return build;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with the output so far after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The build exited ({_process.ExitCode}) before {what}:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL to the build's whole process group, then waits for it to be gone.</summary>
    public void Kill()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", "--", "-" + _process.Id]))
        {
            kill.WaitForExit();
        }

        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
