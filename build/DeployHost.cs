namespace DeployBuild;

/// <summary>The deploy build's host: Program.cs runs it, tests run it in-process.</summary>
public static class DeployHost
{
    public static CakeHost Create(IReadOnlyList<string> args) => new CakeHost()
        .UseContext<DeployContext>()
        .UseLifetime<DeployLifetime>()
        .UseTaskLifetime<StepLifetime>()
        .UseArguments(DeployArguments.Catalog)
        .ConfigureServices(services =>
        {
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<IHostEpilogue, DeployEpilogue>(services);
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, RunMode.FromArguments(args));
        });
}
