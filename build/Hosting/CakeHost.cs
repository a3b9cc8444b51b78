using System.Reflection;
using Cake.Cli;
using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Modules;
using Cake.Core.Scripting;
using Cake.Core.Tooling;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DeployBuild.Hosting;

/// <summary>
/// Stand-in for Cake.Frosting's host until the feed serves it: a subset of its public API
/// (checked against frosting-api.txt by FrostingSurfaceTests), the same switches, Cake.Core's
/// module and engine, Cake.Cli's build, dry-run, tree and description hosts.
/// </summary>
public sealed class CakeHost
{
    private readonly List<Action<IServiceCollection>> _configure = [];

    // As Cake.Frosting: the entry assembly's tasks are always registered.
    private readonly List<Assembly?> _assemblies = [Assembly.GetEntryAssembly()];

    public static CakeHost Create() => new();

    /// <summary>Registers an assembly whose public task classes are registered too.</summary>
    public CakeHost AddAssembly(Assembly assembly)
    {
        _assemblies.Add(assembly);
        return this;
    }

    public CakeHost ConfigureServices(Action<IServiceCollection> services)
    {
        _configure.Add(services);
        return this;
    }

    public int Run(IEnumerable<string> args) => RunAsync(args).GetAwaiter().GetResult();

    private async Task<int> RunAsync(IEnumerable<string> args)
    {
        HostArguments arguments;
        try
        {
            arguments = HostArguments.Parse(args);
        }
        catch (HostArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"Error: {ex.Message} See --help.");
            return 1;
        }

        var services = new ServiceCollection();
        RegisterCake(services, arguments);
        foreach (var configure in _configure)
        {
            configure(services);
        }

        RegisterTasks(services, _assemblies);

        await using var provider = services.BuildServiceProvider();
        var console = provider.GetRequiredService<IConsole>();
        var log = provider.GetRequiredService<ICakeLog>();
        try
        {
            if (arguments.Help)
            {
                HelpWriter.Write(console, provider.GetServices<IFrostingTask>(), DefaultTargetName);
                return 0;
            }

            if (arguments.Version)
            {
                new VersionFeature(provider.GetRequiredService<IVersionResolver>()).Run(console);
                return 0;
            }

            if (arguments.Info)
            {
                new InfoFeature(provider.GetRequiredService<IVersionResolver>()).Run(console);
                return 0;
            }

            // As Cake.Frosting: the verbosity is set on whatever ICakeLog the services resolve to.
            log.Verbosity = arguments.Verbosity;

            var environment = provider.GetRequiredService<ICakeEnvironment>();
            var workingDirectory = arguments.WorkingDirectory is { } w
                ? new DirectoryPath(w)
                : provider.GetService<HostWorkingDirectory>()?.Path;
            if (workingDirectory is not null)
            {
                environment.WorkingDirectory = workingDirectory.MakeAbsolute(environment);
            }

            var context = provider.GetService<IFrostingContext>() ?? new FrostingContext(provider.GetRequiredService<ICakeContext>());
            var engine = provider.GetRequiredService<ICakeEngine>();
            TaskRegistrar.Register(engine, context, provider.GetServices<IFrostingTask>());
            RegisterLifetimes(engine, context, provider);

            // As Cake.Frosting: the targets go to the engine as typed (it matches them ignoring
            // case, and refuses an unknown one with its own message before any setup).
            IReadOnlyList<string> targets = arguments.Targets.Count > 0 ? arguments.Targets : [DefaultTargetName];
            var host = CreateScriptHost(arguments, engine, context, provider, log);
            if (arguments.Exclusive)
            {
                host.Settings.UseExclusiveTarget();
            }

            int exitCode;
            try
            {
                await host.RunTargetsAsync(targets);
                exitCode = 0;
            }
            catch (Exception ex) when (ex is not HostArgumentException)
            {
                exitCode = ReportFailure(log, ex);
            }

            return exitCode;
        }
        catch (HostArgumentException ex)
        {
            log.Error("Error: {0} See --help.", ex.Message);
            return 1;
        }
        catch (Exception ex)
        {
            return ReportFailure(log, ex);
        }
    }

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

    /// <summary>Cake.Frosting's default target (the --target option's default value).</summary>
    private const string DefaultTargetName = "Default";

    private static IScriptHost CreateScriptHost(
        HostArguments arguments,
        ICakeEngine engine,
        ICakeContext context,
        IServiceProvider provider,
        ICakeLog log)
    {
        if (arguments.Tree)
        {
            return new TreeScriptHost(engine, context, provider.GetRequiredService<IConsole>());
        }

        if (arguments.Description)
        {
            return new DescriptionScriptHost(engine, context, provider.GetRequiredService<IAnsiConsole>());
        }

        if (arguments.DryRun)
        {
            // Cake.Cli's dry run: performs setup and teardown, lists the tasks, runs none.
            return new DryRunScriptHost<ICakeContext>(engine, context, log);
        }

        var printer = provider.GetRequiredService<ICakeReportPrinter>();
        return new BuildScriptHost(
            engine,
            new DefaultExecutionStrategy(log, printer),
            context,
            printer,
            provider.GetRequiredService<ICakeConfiguration>(),
            log);
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

    private static void RegisterTasks(IServiceCollection services, IEnumerable<Assembly?> assemblies)
    {
        // As Cake.Frosting: every public, concrete task class of every assembly, no de-duplication
        // (an assembly added twice registers its tasks twice, and the engine refuses the second).
        foreach (var type in assemblies.OfType<Assembly>().SelectMany(a => a.GetExportedTypes()))
        {
            if (type is { IsClass: true, IsAbstract: false } && typeof(IFrostingTask).IsAssignableFrom(type))
            {
                services.AddSingleton(typeof(IFrostingTask), type);
            }
        }
    }

    private static void RegisterCake(IServiceCollection services, HostArguments arguments)
    {
        services.AddSingleton(arguments);

        // Cake.Core's own registrations (engine, context, environment, file system, globber,
        // process runner, tools...), through Cake.Cli's ServiceCollection adapter, as Cake.Frosting.
        services.UseModule<CoreModule>();

        services.AddSingleton<IConsole>(sp => new PolicyConsole(new CakeConsole(sp.GetRequiredService<ICakeEnvironment>())));
        services.AddSingleton(_ => AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = PolicyConsole.AnsiWanted() ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = PolicyConsole.AnsiWanted() ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(Console.Out),
        }));
        services.AddSingleton<ICakeLog>(sp => new CakeBuildLog(sp.GetRequiredService<IConsole>()));

        // As Cake.Frosting: the host's switches stay with the host, except the targets.
        services.AddSingleton<ICakeArguments>(_ => new CakeArguments(
            arguments.Arguments
                .Where(p => !HostArguments.Switches.ContainsKey(p.Key) || p.Key == "target")
                .ToLookup(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase)));
        services.AddSingleton<ICakeConfiguration>(sp => new CakeConfiguration(
            sp.GetServices<HostCakeSetting>().ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase)));
        services.AddSingleton<IToolInstaller, UnsupportedToolInstaller>();
        services.AddSingleton<ICakeReportPrinter>(sp => new CakeSpectreReportPrinter(sp.GetRequiredService<IAnsiConsole>()));
        services.AddSingleton<IVersionResolver, VersionResolver>();
    }

    private sealed class UnsupportedToolInstaller : IToolInstaller
    {
        public IEnumerable<FilePath> Install(Cake.Core.Packaging.PackageReference tool) =>
            throw new NotSupportedException(
                $"This build does not install Cake tools ({tool.OriginalString}); install them with 'dotnet tool restore' or npm.");
    }
}

/// <summary>The working directory the build runs in.</summary>
internal sealed record HostWorkingDirectory(DirectoryPath Path);

/// <summary>A Cake configuration value (what cake.config or CAKE_* variables would set).</summary>
internal sealed record HostCakeSetting(string Key, string Value);
