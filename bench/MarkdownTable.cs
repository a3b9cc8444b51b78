using System.Text;

namespace DeployBuild.Bench;

/// <summary>A GitHub-flavoured Markdown table; columns whose header starts with '>' are right-aligned.</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public MarkdownTable Row(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"a row of {cells.Length} cells in a table of {headers.Length} columns", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", headers.Select(h => Escape(h.TrimStart('>')))).AppendLine(" |");
        text.Append("| ").AppendJoin(" | ", headers.Select(h => h.StartsWith('>') ? "---:" : "---")).AppendLine(" |");
        foreach (var row in _rows)
        {
            text.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        }

        return text.ToString().TrimEnd();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
