using System.Reflection;
using Cake.Cli;
using Cake.Common.Modules;
using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Modules;
using Cake.Core.Tooling;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeployBuild.Hosting;

/// <summary>
/// Stand-in for Cake.Frosting's host until the feed serves it: a subset of its public API
/// (checked against frosting-api.txt by FrostingSurfaceTests) over the same parts: Cake.Core's
/// and Cake.Common's modules, Cake.Cli's diagnostics, hosts and features, and a Spectre.Console.Cli
/// command app whose default command (<see cref="DefaultCommand"/>) runs the build.
/// </summary>
public sealed class CakeHost
{
    private readonly IServiceCollection _services = CreateServices();

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
        services(_services);
        return this;
    }

    public int Run(IEnumerable<string> args)
    {
        RegisterTasks(_services, _assemblies);

        // As Cake.Frosting: Spectre.Console.Cli parses the switches into DefaultCommandSettings and
        // resolves the command from Cake.Cli's registrar, which hands it the services. A switch given
        // a value it cannot take (--version=1.2.3) is left to the build as an argument.
        var registrar = new TypeRegistrar();
        registrar.RegisterInstance(typeof(IServiceCollection), _services);
        var app = new CommandApp<DefaultCommand>(registrar);
        app.Configure(config =>
        {
            config.Settings.ConvertFlagsToRemainingArguments = true;

            // Ours: Spectre's help and parse errors go to the host's Spectre console (the same
            // stdout, under the console policy) rather than Spectre's process-wide one.
            config.ConfigureConsole(HostConsole());
        });
        return app.Run(args);
    }

    private IAnsiConsole HostConsole()
    {
        // Only the console is resolved here; the command builds the provider the build runs with.
        var provider = _services.BuildServiceProvider();
        return provider.GetRequiredService<IAnsiConsole>();
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

    private static ServiceCollection CreateServices()
    {
        var services = new ServiceCollection();

        // Cake's own registrations (engine, context, environment, file system, globber, process
        // runner, tools...) and Cake.Cli's log, console and report printer, as Cake.Frosting.
        services.UseModule<CoreModule>();
        services.UseModule<CommonModule>();
        services.AddCakeDiagnostics();
        services.AddSingleton<IVersionResolver, VersionResolver>();
        services.AddSingleton<VersionFeature>();
        services.AddSingleton<InfoFeature>();

        // Ours: no ANSI escapes where they would be noise (see PolicyConsole).
        services.AddSingleton<IConsole>(sp => new PolicyConsole(new CakeConsole(sp.GetRequiredService<ICakeEnvironment>())));
        services.AddSingleton(_ => AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = PolicyConsole.AnsiWanted() ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = PolicyConsole.AnsiWanted() ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(Console.Out),
        }));

        services.AddSingleton<ICakeConfiguration>(sp => new CakeConfiguration(
            sp.GetServices<HostCakeSetting>().ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase)));
        services.AddSingleton<IToolInstaller, UnsupportedToolInstaller>();
        return services;
    }

    private sealed class UnsupportedToolInstaller : IToolInstaller
    {
        public IEnumerable<FilePath> Install(Cake.Core.Packaging.PackageReference tool) =>
            throw new NotSupportedException(
                $"This build does not install Cake tools ({tool.OriginalString}); install them with 'dotnet tool restore' or npm.");
    }
}
