using DeployBuild.Process;

namespace DeployBuild.Fly;

/// <summary>
/// Finds flyctl the way the runbook runs it: --flyctl, else $FLYCTL, else flyctl or fly on
/// PATH, else the installer's default (~/.fly/bin/flyctl, %USERPROFILE%\.fly\bin\flyctl.exe).
/// </summary>
public static class FlyctlLocator
{
    public static string Resolve(string? argument, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(argument))
        {
            return CommandRunner.TryResolve(argument)
                   ?? throw new ToolNotFoundException(argument, "--flyctl points at nothing runnable. " + ToolHints.For("flyctl"));
        }

        if (environment("FLYCTL") is { Length: > 0 } variable)
        {
            return CommandRunner.TryResolve(variable)
                   ?? throw new ToolNotFoundException(variable, "FLYCTL points at nothing runnable. " + ToolHints.For("flyctl"));
        }

        foreach (var name in new[] { "flyctl", "fly" })
        {
            if (CommandRunner.TryResolve(name) is { } onPath)
            {
                return onPath;
            }
        }

        var home = OperatingSystem.IsWindows()
            ? environment("USERPROFILE")
            : environment("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            var installed = Path.Combine(home, ".fly", "bin", OperatingSystem.IsWindows() ? "flyctl.exe" : "flyctl");
            if (File.Exists(installed))
            {
                return installed;
            }
        }

        throw new ToolNotFoundException("flyctl", ToolHints.For("flyctl"));
    }
}
