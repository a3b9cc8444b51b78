using System.Text;

namespace FlySim.Config;

/// <summary>Splits a command line into words the way a POSIX shell would (quotes and backslashes, no expansion).</summary>
internal static class ShellWords
{
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }

                i++;
                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                {
                    var end = text.IndexOf('\'', i + 1);
                    if (end < 0)
                    {
                        throw new FlyException($"unterminated single quote in command: {text}");
                    }

                    current.Append(text, i + 1, end - i - 1);
                    i = end + 1;
                    break;
                }

                case '"':
                {
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        current.Append(text[i]);
                        i++;
                    }

                    if (i >= text.Length)
                    {
                        throw new FlyException($"unterminated double quote in command: {text}");
                    }

                    i++;
                    break;
                }

                case '\\' when i + 1 < text.Length:
                    current.Append(text[i + 1]);
                    i += 2;
                    break;
                default:
                    current.Append(c);
                    i++;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
