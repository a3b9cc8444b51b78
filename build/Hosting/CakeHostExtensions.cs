using Cake.Core.IO;
using Microsoft.Extensions.DependencyInjection;

namespace DeployBuild.Hosting;

public static class CakeHostExtensions
{
    public static CakeHost UseContext<T>(this CakeHost host)
        where T : class, IFrostingContext =>
        host.ConfigureServices(s => s.AddSingleton<IFrostingContext, T>());

    public static CakeHost UseLifetime<T>(this CakeHost host)
        where T : class, IFrostingSetup, IFrostingTeardown =>
        host.ConfigureServices(s =>
        {
            s.AddSingleton<T>();
            s.AddSingleton<IFrostingSetup>(sp => sp.GetRequiredService<T>());
            s.AddSingleton<IFrostingTeardown>(sp => sp.GetRequiredService<T>());
        });

    public static CakeHost UseTaskLifetime<T>(this CakeHost host)
        where T : class, IFrostingTaskSetup, IFrostingTaskTeardown =>
        host.ConfigureServices(s =>
        {
            s.AddSingleton<T>();
            s.AddSingleton<IFrostingTaskSetup>(sp => sp.GetRequiredService<T>());
            s.AddSingleton<IFrostingTaskTeardown>(sp => sp.GetRequiredService<T>());
        });

    public static CakeHost UseWorkingDirectory(this CakeHost host, DirectoryPath path) =>
        host.ConfigureServices(s => s.AddSingleton(new WorkingDirectory(path)));

    public static CakeHost UseSetting(this CakeHost host, string key, string value) =>
        host.ConfigureServices(s => s.AddSingleton(new CakeSetting(key, value)));

    /// <summary>Not part of Cake.Frosting: declares the build's own arguments for --help and typo checks.</summary>
    public static CakeHost UseArguments(this CakeHost host, IEnumerable<BuildArgument> arguments) =>
        host.ConfigureServices(s =>
        {
            foreach (var argument in arguments)
            {
                s.AddSingleton(argument);
            }
        });
}
