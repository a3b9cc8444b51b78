using System.Text;
using Cake.Core;

namespace DeployBuild.Hosting;

internal static class HelpWriter
{
    private static readonly (string Switch, string Description)[] CakeSwitches =
    [
        ("-t, --target=<TARGET>", "Task to run (default: {0}); repeat it to run several."),
        ("-v, --verbosity=<LEVEL>", "quiet, minimal, normal (default), verbose or diagnostic."),
        ("--dryrun", "Print the tasks that would run and their commands; change nothing. Aliases: --noop, --whatif."),
        ("--tree", "Print the task graph. Alias: --showtree."),
        ("--description", "Print every task with its description. Aliases: --descriptions, --showdescription, --showdescriptions."),
        ("-e, --exclusive", "Run the target alone, without its dependencies."),
        ("-w, --working=<DIR>", "Run as if started in DIR."),
        ("--version", "Print the build's version."),
        ("--info", "Print version details."),
        ("-h, --help", "Print this help."),
    ];

    public static void Write(IConsole console, IEnumerable<IFrostingTask> tasks, string defaultTarget)
    {
        var text = new StringBuilder();
        text.AppendLine("USAGE:");
        text.AppendLine("    ./build.sh [--target=<TARGET>] [OPTIONS]      (Windows: .\\build.ps1 ...)");
        text.AppendLine();
        text.AppendLine("OPTIONS:");
        var width = CakeSwitches.Max(s => s.Switch.Length) + 4;
        foreach (var (name, description) in CakeSwitches)
        {
            AppendEntry(text, name, string.Format(System.Globalization.CultureInfo.InvariantCulture, description, defaultTarget), width);
        }

        var targets = tasks
            .Select(t => (Name: TaskRegistrar.NameOf(t.GetType()), Description: TaskRegistrar.DescriptionOf(t.GetType()) ?? string.Empty))
            .OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (targets.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("TARGETS:");
            var targetWidth = targets.Max(t => t.Name.Length) + 4;
            foreach (var (name, description) in targets)
            {
                AppendEntry(text, name, description, targetWidth);
            }
        }

        console.Write(text.ToString());
    }

    private static void AppendEntry(StringBuilder text, string name, string description, int width)
    {
        const int lineWidth = 100;
        var indent = new string(' ', 4 + width);
        var words = description.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var line = new StringBuilder("    ").Append(name.PadRight(width));
        var column = line.Length;
        var first = true;
        foreach (var word in words)
        {
            if (!first && column + 1 + word.Length > lineWidth)
            {
                text.AppendLine(line.ToString().TrimEnd());
                line.Clear().Append(indent);
                column = indent.Length;
                first = true;
            }

            if (!first)
            {
                line.Append(' ');
                column++;
            }

            line.Append(word);
            column += word.Length;
            first = false;
        }

        text.AppendLine(line.ToString().TrimEnd());
    }
}
