using Microsoft.Extensions.DependencyInjection;

namespace DeployBuild;

/// <summary>
/// The deploy build's host, configured only through Cake.Frosting's public API (UseContext,
/// UseLifetime, UseTaskLifetime, ConfigureServices). The host scans the entry assembly for tasks.
/// </summary>
public static class DeployHost
{
    public static CakeHost Create(IReadOnlyList<string> args, DeployEpilogue epilogue) => new CakeHost()
        .UseContext<DeployContext>()
        .UseLifetime<DeployLifetime>()
        .UseTaskLifetime<StepLifetime>()
        .ConfigureServices(services =>
        {
            services.AddSecretMasking();
            services.AddSingleton(RunMode.FromArguments(args));
            services.AddSingleton(epilogue);
        });
}
