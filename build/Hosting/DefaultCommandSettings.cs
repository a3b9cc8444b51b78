using System.ComponentModel;
using Cake.Cli;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Spectre.Console.Cli;

namespace DeployBuild.Hosting;

/// <summary>
/// Cake.Frosting's switches, as its default command declares them for Spectre.Console.Cli (same
/// names, aliases, defaults and converters). Anything else on the command line is left to
/// Spectre's remaining arguments, which become <see cref="Cake.Core.ICakeArguments"/>.
/// </summary>
internal sealed class DefaultCommandSettings : CommandSettings
{
    [CommandOption("--target|-t|--Target <TARGET>")]
    [DefaultValue("Default")]
    [Description("Target task to invoke; repeat it to run several.")]
    public string[] Targets { get; set; } = [];

    [CommandOption("--working|-w <PATH>")]
    [TypeConverter(typeof(Cake.Cli.DirectoryPathConverter))]
    [Description("Sets the working directory.")]
    public DirectoryPath? WorkingDirectory { get; set; }

    [CommandOption("--verbosity|-v <VERBOSITY>")]
    [TypeConverter(typeof(VerbosityConverter))]
    [DefaultValue(Verbosity.Normal)]
    [Description("Quiet, Minimal, Normal, Verbose or Diagnostic.")]
    public Verbosity Verbosity { get; set; }

    [CommandOption("--description|--descriptions|--showdescription|--showdescriptions")]
    [Description("Shows every task with its description.")]
    public bool Description { get; set; }

    [CommandOption("--tree|--showtree")]
    [Description("Shows the task dependency tree.")]
    public bool Tree { get; set; }

    [CommandOption("--dryrun|--noop|--whatif")]
    [Description("Performs a dry run: setup and teardown, no task.")]
    public bool DryRun { get; set; }

    [CommandOption("--exclusive|-e")]
    [Description("Runs the target without its dependencies.")]
    public bool Exclusive { get; set; }

    [CommandOption("--version|--ver")]
    [Description("Displays the build's version.")]
    public bool Version { get; set; }

    [CommandOption("--info")]
    [Description("Displays version details.")]
    public bool Info { get; set; }
}
