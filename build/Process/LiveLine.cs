namespace DeployBuild.Process;

/// <summary>
/// The one status line a terminal shows under the log while the build waits: redrawn in place,
/// erased before any log line is written (the masking log calls <see cref="Erase"/>) and when the
/// wait ends, so that the log itself never holds a half-drawn line. One per process, as the
/// console is.
/// </summary>
public sealed class LiveLine(TextWriter output, int width)
{
    private readonly Lock _gate = new();
    private bool _shown;

    /// <summary>The console's line, for processes whose output is a terminal.</summary>
    public static LiveLine Console { get; } = new(System.Console.Out, ConsoleWidth());

    public void Show(string text)
    {
        // One line, never wrapped: a wrapped line could not be erased with a carriage return.
        text = text.ReplaceLineEndings(" ");
        if (width > 1 && text.Length > width - 1)
        {
            text = text[..(width - 2)] + "…";
        }

        lock (_gate)
        {
            output.Write("\r" + text + "\u001b[K");
            output.Flush();
            _shown = true;
        }
    }

    public void Erase()
    {
        lock (_gate)
        {
            if (!_shown)
            {
                return;
            }

            output.Write("\r\u001b[K");
            output.Flush();
            _shown = false;
        }
    }

    private static int ConsoleWidth()
    {
        try
        {
            return System.Console.IsOutputRedirected ? 0 : System.Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
