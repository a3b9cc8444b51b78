using System.Text;

namespace DeployBuild.Bench;

/// <summary>
/// One figure of the benchmark: measures something side by side with its baseline over
/// <see cref="BenchContext.Runs"/> runs and reports it as Markdown. To add a figure, write a class
/// implementing this interface under Figures/ and list it in <see cref="Figures.Catalogue"/>.
/// </summary>
public interface IFigure
{
    /// <summary>The name on the command line (<c>startup</c>, <c>validate</c>, ...).</summary>
    string Name { get; }

    /// <summary>One line for <c>--list</c> and the report heading.</summary>
    string Title { get; }

    /// <summary>
    /// Measured runs when <c>--runs</c> is not given (null: <see cref="BenchProgram.DefaultRuns"/>).
    /// A figure whose run is long and whose figure varies little asks for fewer.
    /// </summary>
    int? DefaultRuns => null;

    /// <summary>Measures and reports. Everything the figure starts must be stopped before it returns
    /// (resources shared between figures belong to the context, which disposes them at the end).</summary>
    Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>A goal and whether it was met (null: not assessed, e.g. the measured half is missing).</summary>
public sealed record Goal(string Description, string Achieved, bool? Met)
{
    public string Verdict => Met switch
    {
        true => "**met**",
        false => "**not met**",
        null => "not assessed",
    };
}

/// <summary>What a figure prints: a heading, Markdown blocks (tables, paragraphs) and its goals.</summary>
public sealed class FigureReport(IFigure figure)
{
    public IFigure Figure { get; } = figure;

    public List<string> Blocks { get; } = [];

    public List<Goal> Goals { get; } = [];

    public List<string> Notes { get; } = [];

    public FigureReport Add(string block)
    {
        Blocks.Add(block);
        return this;
    }

    public FigureReport Add(MarkdownTable table) => Add(table.ToString());

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"### `{Figure.Name}`: {Figure.Title}").AppendLine();
        foreach (var block in Blocks)
        {
            text.AppendLine(block).AppendLine();
        }

        foreach (var goal in Goals)
        {
            text.AppendLine($"Goal: {goal.Description}: {goal.Achieved}, {goal.Verdict}.").AppendLine();
        }

        foreach (var note in Notes)
        {
            text.AppendLine($"- {note}");
        }

        return text.ToString().TrimEnd() + Environment.NewLine;
    }
}
