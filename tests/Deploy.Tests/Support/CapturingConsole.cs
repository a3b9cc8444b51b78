using System.Globalization;
using System.Text;
using Cake.Core;

namespace DeployBuild.Tests.Support;

/// <summary>A Cake console that keeps everything written to it, for in-process host tests.</summary>
public sealed class CapturingConsole : IConsole
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public ConsoleColor ForegroundColor { get; set; }

    public ConsoleColor BackgroundColor { get; set; }

    public bool SupportAnsiEscapeCodes => false;

    public void Write(string format, params object[] arg) => Append(format, arg, newLine: false);

    public void WriteLine(string format, params object[] arg) => Append(format, arg, newLine: true);

    public void WriteError(string format, params object[] arg) => Append(format, arg, newLine: false);

    public void WriteErrorLine(string format, params object[] arg) => Append(format, arg, newLine: true);

    public void ResetColor()
    {
    }

    private void Append(string format, object[] args, bool newLine)
    {
        var text = args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
        lock (_text)
        {
            _text.Append(text);
            if (newLine)
            {
                _text.Append('\n');
            }
        }
    }
}
