using System.Diagnostics;
using System.Text;

namespace DeployBuild.Tests.Support;

public sealed record BuildResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs ./build.sh (or pwsh build.ps1) as a user would, and captures what it prints.</summary>
public static class BuildRunner
{
    public static Task<BuildResult> RunAsync(IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        RunProcessAsync("bash", [Repo.Path("build.sh"), .. args], workingDirectory ?? Repo.Root, environment, timeout ?? TimeSpan.FromMinutes(5));

    public static async Task<BuildResult> RunProcessAsync(string program, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string?>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["PYENV_VERSION"] = "system";
        info.Environment.Remove("GITHUB_ACTIONS");
        if (environment is not null)
        {
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
        }

        using var process = new System.Diagnostics.Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}.\n{stdout}\n{stderr}");
        }

        process.WaitForExit();
        return new BuildResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
