using Cake.Core;
using Cake.Core.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours: registers <see cref="SecretMasker"/> and a masking <see cref="ICakeLog"/> through
/// <c>ConfigureServices</c>, the last registration of the log, so it wins under either host
/// (both set the log's verbosity on the resolved <see cref="ICakeLog"/>).
/// </summary>
public static class SecretMasking
{
    public static IServiceCollection AddSecretMasking(this IServiceCollection services)
    {
        services.AddSingleton<SecretMasker>();
        services.AddSingleton<ICakeLog>(sp => new MaskingLog(
            new CakeBuildLog(sp.GetRequiredService<IConsole>()),
            sp.GetRequiredService<SecretMasker>()));
        return services;
    }
}
