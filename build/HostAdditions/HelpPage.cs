using System.Reflection;
using System.Text;

namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours: <c>--help</c>'s page (Cake's switches, the build's declared arguments, the targets).
/// Program.cs prints it before the host starts, so it is the same under either host.
/// </summary>
public static class HelpPage
{
    private static readonly (string Switch, string Description)[] CakeSwitches =
    [
        ("-t, --target=<TARGET>", "Task to run (default: Default, which runs Validate); repeat it to run several."),
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

    public static bool Wanted(IEnumerable<string> args) =>
        args.Any(a => a is "--help" or "-h" or "-?" or "--help=true");

    public static string Text(IReadOnlyList<BuildArgument> arguments, Assembly tasks)
    {
        var text = new StringBuilder();
        text.AppendLine("USAGE:");
        text.AppendLine("    ./build.sh [--target=<TARGET>] [OPTIONS]      (Windows: .\\build.ps1 ...)");
        text.AppendLine();
        text.AppendLine("OPTIONS:");
        var width = Math.Max(CakeSwitches.Max(s => s.Switch.Length), arguments.Count == 0 ? 0 : arguments.Max(a => Usage(a).Length)) + 4;
        foreach (var (name, description) in CakeSwitches)
        {
            AppendEntry(text, name, description, width);
        }

        if (arguments.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("ARGUMENTS:");
            foreach (var argument in arguments)
            {
                AppendEntry(text, Usage(argument), argument.Description, width);
            }
        }

        var targets = tasks.GetExportedTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IFrostingTask).IsAssignableFrom(t))
            .Select(t => (Name: t.GetCustomAttribute<TaskNameAttribute>()?.Name ?? t.Name,
                          Description: t.GetCustomAttribute<TaskDescriptionAttribute>()?.Description ?? string.Empty))
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

        return text.ToString();
    }

    private static string Usage(BuildArgument argument) =>
        argument.Value is null ? $"--{argument.Name}" : $"--{argument.Name}=<{argument.Value}>";

    private static void AppendEntry(StringBuilder text, string name, string description, int width)
    {
        const int lineWidth = 100;
        var indent = new string(' ', 4 + width);
        var line = new StringBuilder("    ").Append(name.PadRight(width));
        var column = line.Length;
        var first = true;
        foreach (var word in description.Split(' ', StringSplitOptions.RemoveEmptyEntries))
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
