using FlySim.Commands;

namespace FlySim.Cli;

/// <summary>The flyctl commands the simulator answers, with flyctl's names, aliases and flags.</summary>
internal static class CommandTree
{
    public static CommandSpec Build() => new()
    {
        Name = "flyctl",
        Short = "flyctl is a command line interface to the Fly.io platform (simulated: see tests/FlySim/README.md)",
        Children =
        [
            new CommandSpec
            {
                Name = "deploy", Usage = "[WORKDIR] [flags]", Short = "Deploy Fly applications",
                Flags = DeployCommand.Flags, MaxArgs = 1, Run = DeployCommand.RunAsync,
            },
            new CommandSpec
            {
                Name = "releases", Usage = "[flags]", Short = "List app releases",
                Flags = ReleasesCommand.Flags, MaxArgs = 0, Run = ReleasesCommand.RunAsync,
            },
            new CommandSpec
            {
                Name = "status", Usage = "[flags]", Short = "Show app status",
                Flags = StatusCommand.Flags, MaxArgs = 0, Run = StatusCommand.RunAsync,
            },
            new CommandSpec
            {
                Name = "logs", Usage = "[flags]", Short = "View app logs",
                Flags = LogsCommand.Flags, MaxArgs = 0, Run = LogsCommand.RunAsync,
            },
            new CommandSpec
            {
                Name = "secrets", Short = "Manage application secrets with the set and unset commands.",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "list", Aliases = ["ls"], Usage = "[flags]", Short = "List application secret names, digests and deployment status",
                        Flags = SecretsCommands.ListFlags, MaxArgs = 0, Run = SecretsCommands.ListAsync,
                    },
                    new CommandSpec
                    {
                        Name = "set", Usage = "[flags] NAME=VALUE NAME=VALUE ...", Short = "Set one or more encrypted secrets for an application",
                        Flags = SecretsCommands.ChangeFlags, MinArgs = 1, Run = SecretsCommands.SetAsync,
                    },
                    new CommandSpec
                    {
                        Name = "import", Usage = "[flags]", Short = "Set secrets as NAME=VALUE pairs from stdin",
                        Flags = SecretsCommands.ChangeFlags, MaxArgs = 0, Run = SecretsCommands.ImportAsync,
                    },
                    new CommandSpec
                    {
                        Name = "unset", Usage = "[flags] NAME NAME ...", Short = "Unset one or more encrypted secrets for an application",
                        Flags = SecretsCommands.ChangeFlags, MinArgs = 1, Run = SecretsCommands.UnsetAsync,
                    },
                    new CommandSpec
                    {
                        Name = "deploy", Usage = "[flags]", Short = "Deploy staged secrets for an application",
                        Flags = SecretsCommands.DeployFlags, MaxArgs = 0, Run = SecretsCommands.DeployAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "config", Short = "Manage an app's configuration",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "show", Aliases = ["display"], Usage = "[flags]", Short = "Show an app's configuration",
                        Flags = ConfigCommands.ShowFlags, MaxArgs = 0, Run = ConfigCommands.ShowAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "scale", Short = "Scale app resources",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "show", Usage = "[flags]", Short = "Show current resources",
                        Flags = ScaleCommands.ShowFlags, MaxArgs = 0, Run = ScaleCommands.ShowAsync,
                    },
                    new CommandSpec
                    {
                        Name = "count", Usage = "[count] [flags]", Short = "Change an app's VM count to the given value",
                        Flags = ScaleCommands.ChangeFlags, MinArgs = 1, MaxArgs = 1, Run = ScaleCommands.CountAsync,
                    },
                    new CommandSpec
                    {
                        Name = "memory", Usage = "[memoryMB] [flags]", Short = "Set VM memory",
                        Flags = ScaleCommands.ChangeFlags, MinArgs = 1, MaxArgs = 1, Run = ScaleCommands.MemoryAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "machine", Aliases = ["machines", "m"], Short = "Manage Fly Machines.",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "start", Usage = "[<id>...] [flags]", Short = "Start one or more Fly machines",
                        Flags = MachineCommands.StartFlags, Run = MachineCommands.StartAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "image", Aliases = ["img"], Short = "Manage app image",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "show", Usage = "[flags]", Short = "Show image details.",
                        Flags = StatusCommand.ImageShowFlags, MaxArgs = 1, Run = StatusCommand.ImageShowAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "apps", Aliases = ["app"], Short = "Manage apps.",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "list", Aliases = ["ls"], Usage = "[flags]", Short = "List applications.",
                        Flags = AppsCommands.JsonOnly, MaxArgs = 0, Run = AppsCommands.ListAsync,
                    },
                    new CommandSpec
                    {
                        Name = "create", Usage = "[APPNAME] [flags]", Short = "Create a new application.",
                        Flags = AppsCommands.CreateFlags, MaxArgs = 1, Run = AppsCommands.CreateAsync,
                    },
                    new CommandSpec
                    {
                        Name = "destroy", Aliases = ["delete", "remove", "rm"], Usage = "[APPNAME] [flags]", Short = "Permanently destroy an app.",
                        Flags = AppsCommands.DestroyFlags, MinArgs = 1, MaxArgs = 1, Run = AppsCommands.DestroyAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "auth", Short = "Manage authentication",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "whoami", Usage = "[flags]", Short = "Displays the users email address/service identity currently authenticated and in use.",
                        Flags = AppsCommands.JsonOnly, MaxArgs = 0, Run = AppsCommands.WhoAmIAsync,
                    },
                    new CommandSpec
                    {
                        Name = "token", Usage = "[flags]", Short = "Shows the authentication token that is currently in use.",
                        Flags = AppsCommands.JsonOnly, MaxArgs = 0, Run = AppsCommands.AuthTokenAsync,
                    },
                ],
            },
            new CommandSpec
            {
                Name = "version", Usage = "[flags]", Short = "Show version information for the flyctl command",
                Flags = AppsCommands.JsonOnly, MaxArgs = 0, Run = AppsCommands.VersionAsync,
            },
            new CommandSpec
            {
                Name = "sim", Short = "Simulator-only commands (not part of flyctl)",
                Children =
                [
                    new CommandSpec
                    {
                        Name = "down", Usage = "", Short = "Stop the simulated platform: the supervisor, every machine and proxy",
                        MaxArgs = 0, Run = AppsCommands.SimDownAsync,
                    },
                    new CommandSpec
                    {
                        Name = "info", Usage = "", Short = "Print the state folder, supervisor pid and public URLs as JSON",
                        MaxArgs = 0, Run = AppsCommands.SimInfoAsync,
                    },
                    new CommandSpec
                    {
                        Name = "supervise", Usage = "", Short = "Run the platform supervisor (started by the CLI)",
                        MaxArgs = 0, Hidden = true, Run = AppsCommands.SuperviseAsync,
                    },
                ],
            },
        ],
    };
}
