using Cake.Core;

namespace DeployBuild.Hosting;

/// <summary>
/// Cake's console, but without ANSI escape codes when they would end up as noise: output
/// redirected to a file or pipe (unless the reader is GitHub Actions, which renders them), or
/// NO_COLOR set (https://no-color.org).
/// </summary>
internal sealed class PolicyConsole(IConsole inner) : IConsole
{
    private readonly bool _ansi = inner.SupportAnsiEscapeCodes && AnsiWanted();

    public ConsoleColor ForegroundColor
    {
        get => inner.ForegroundColor;
        set => inner.ForegroundColor = value;
    }

    public ConsoleColor BackgroundColor
    {
        get => inner.BackgroundColor;
        set => inner.BackgroundColor = value;
    }

    public bool SupportAnsiEscapeCodes => _ansi;

    public void Write(string format, params object[] arg) => inner.Write(format, arg);

    public void WriteLine(string format, params object[] arg) => inner.WriteLine(format, arg);

    public void WriteError(string format, params object[] arg) => inner.WriteError(format, arg);

    public void WriteErrorLine(string format, params object[] arg) => inner.WriteErrorLine(format, arg);

    public void ResetColor() => inner.ResetColor();

    internal static bool AnsiWanted()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")))
        {
            return false;
        }

        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FORCE_COLOR")) ||
            string.Equals(Environment.GetEnvironmentVariable("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return !Console.IsOutputRedirected;
    }
}
