using System.Globalization;
using Cake.Core.Diagnostics;

namespace DeployBuild.HostAdditions;

/// <summary>Formats each message, masks secret values, then hands the plain text to Cake's log.</summary>
public sealed class MaskingLog(ICakeLog inner, SecretMasker masker) : ICakeLog
{
    public Verbosity Verbosity
    {
        get => inner.Verbosity;
        set => inner.Verbosity = value;
    }

    /// <summary>Masks text that reaches the console without going through the log (the live progress line).</summary>
    public string Mask(string text) => masker.Apply(text);

    public void Write(Verbosity verbosity, LogLevel level, string format, params object[] args)
    {
        if (verbosity > inner.Verbosity)
        {
            return;
        }

        var text = args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
        var masked = masker.Apply(text);

        // A progress line drawn on the terminal goes first, or the log line would start after it.
        if (Process.ProgressTicker.ConsoleMode == Process.ProgressMode.Live)
        {
            Process.LiveLine.Console.Erase();
        }

        // The inner log treats its text as a format string, so braces must be escaped.
        inner.Write(verbosity, level, masked.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));
    }
}
