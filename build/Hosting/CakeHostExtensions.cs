using Cake.Core.IO;
using Microsoft.Extensions.DependencyInjection;

namespace DeployBuild.Hosting;

public static class CakeHostExtensions
{
    public static CakeHost UseContext<TContext>(this CakeHost host)
        where TContext : class, IFrostingContext =>
        host.ConfigureServices(s => s.AddSingleton<IFrostingContext, TContext>());

    public static CakeHost UseLifetime<TLifetime>(this CakeHost host)
        where TLifetime : class, IFrostingLifetime =>
        host.ConfigureServices(s =>
        {
            s.AddSingleton<TLifetime>();
            s.AddSingleton<IFrostingSetup>(sp => sp.GetRequiredService<TLifetime>());
            s.AddSingleton<IFrostingTeardown>(sp => sp.GetRequiredService<TLifetime>());
        });

    public static CakeHost UseTaskLifetime<TLifetime>(this CakeHost host)
        where TLifetime : class, IFrostingTaskLifetime =>
        host.ConfigureServices(s =>
        {
            s.AddSingleton<TLifetime>();
            s.AddSingleton<IFrostingTaskSetup>(sp => sp.GetRequiredService<TLifetime>());
            s.AddSingleton<IFrostingTaskTeardown>(sp => sp.GetRequiredService<TLifetime>());
        });

    public static CakeHost UseWorkingDirectory(this CakeHost host, DirectoryPath path) =>
        host.ConfigureServices(s => s.AddSingleton(new HostWorkingDirectory(path)));

    public static CakeHost UseCakeSetting(this CakeHost host, string key, string value) =>
        host.ConfigureServices(s => s.AddSingleton(new HostCakeSetting(key, value)));
}
