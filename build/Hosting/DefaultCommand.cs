using System.Reflection;
using Cake.Cli;
using Cake.Cli.Infrastructure;
using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Scripting;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeployBuild.Hosting;

/// <summary>
/// What Cake.Frosting's default command does with the parsed switches: hand the remaining
/// arguments to <see cref="ICakeArguments"/>, then show the version, or set the verbosity and the
/// working directory, register the tasks and the lifetime on Cake's engine, and run the targets
/// with the Cake.Cli host the switches ask for.
/// </summary>
internal sealed class DefaultCommand(IServiceCollection services) : AsyncCommand<DefaultCommandSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DefaultCommandSettings settings, CancellationToken cancellationToken)
    {
        // As Cake.Frosting: the switches stay with the host, except the targets.
        services.AddSingleton<ICakeArguments>(context.Remaining.ToCakeArguments(settings.Targets));
        services.AddSingleton(context.Remaining);

        await using var provider = services.BuildServiceProvider();
        try
        {
            if (settings.Version || settings.Info)
            {
                ShowVersion(provider, settings);
                return 0;
            }

            provider.GetRequiredService<ICakeLog>().Verbosity = settings.Verbosity;
            SetWorkingDirectory(provider, settings);
            var host = CreateScriptHost(provider, settings);
            if (settings.Exclusive)
            {
                host.Settings.UseExclusiveTarget();
            }

            // The engine matches the targets ignoring case, and refuses an unknown one with its own
            // message before any setup.
            await host.RunTargetsAsync(settings.Targets);
            return 0;
        }
        catch (Exception ex)
        {
            return ReportFailure(provider.GetRequiredService<ICakeLog>(), ex);
        }
    }

    private static void ShowVersion(IServiceProvider provider, DefaultCommandSettings settings)
    {
        var console = provider.GetRequiredService<IConsole>();
        if (settings.Version)
        {
            provider.GetRequiredService<VersionFeature>().Run(console);
        }
        else
        {
            provider.GetRequiredService<InfoFeature>().Run(console);
        }
    }

    private static void SetWorkingDirectory(IServiceProvider provider, DefaultCommandSettings settings)
    {
        var environment = provider.GetRequiredService<ICakeEnvironment>();
        var directory = (settings.WorkingDirectory ?? provider.GetService<HostWorkingDirectory>()?.Path)?.MakeAbsolute(environment)
            ?? environment.WorkingDirectory;
        if (!provider.GetRequiredService<IFileSystem>().Exist(directory))
        {
            throw new CakeException($"The working directory '{directory.FullPath}' does not exist.");
        }

        environment.WorkingDirectory = directory;
    }

    /// <summary>Cake's engine with the build's tasks and lifetime, inside the Cake.Cli host asked for.</summary>
    private static IScriptHost CreateScriptHost(IServiceProvider provider, DefaultCommandSettings settings)
    {
        var engine = provider.GetRequiredService<ICakeEngine>();
        var context = provider.GetService<IFrostingContext>() ?? new FrostingContext(provider.GetRequiredService<ICakeContext>());
        TaskRegistrar.Register(engine, context, provider.GetServices<IFrostingTask>());
        RegisterLifetimes(engine, context, provider);

        var log = provider.GetRequiredService<ICakeLog>();
        if (settings.DryRun)
        {
            // Cake.Cli's dry run: performs setup and teardown, lists the tasks, runs none.
            return new DryRunScriptHost<ICakeContext>(engine, context, log);
        }

        if (settings.Tree)
        {
            return new TreeScriptHost(engine, context, provider.GetRequiredService<IConsole>());
        }

        if (settings.Description)
        {
            return new DescriptionScriptHost(engine, context, provider.GetRequiredService<IAnsiConsole>());
        }

        var printer = provider.GetRequiredService<ICakeReportPrinter>();
        return new BuildScriptHost(
            engine, new DefaultExecutionStrategy(log, printer), context, printer, provider.GetRequiredService<ICakeConfiguration>(), log);
    }

    private static void RegisterLifetimes(ICakeEngine engine, ICakeContext context, IServiceProvider provider)
    {
        if (provider.GetService<IFrostingSetup>() is { } setup)
        {
            engine.RegisterSetupAction(info => setup.Setup(context, info));
        }

        if (provider.GetService<IFrostingTeardown>() is { } teardown)
        {
            engine.RegisterTeardownAction(info => teardown.Teardown(context, info));
        }

        if (provider.GetService<IFrostingTaskSetup>() is { } taskSetup)
        {
            engine.RegisterTaskSetupAction(info => taskSetup.Setup(context, info));
        }

        if (provider.GetService<IFrostingTaskTeardown>() is { } taskTeardown)
        {
            engine.RegisterTaskTeardownAction(info => taskTeardown.Teardown(context, info));
        }
    }

    /// <summary>Cake.Cli's LogException and its exit code (1, or a CakeException's own), as Cake.Frosting 7.</summary>
    private static int ReportFailure(ICakeLog log, Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        while (exception is TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        var code = log.LogException(exception);
        return code == 0 ? 1 : code;
    }
}
