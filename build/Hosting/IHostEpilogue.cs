using Cake.Core;

namespace DeployBuild.Hosting;

/// <summary>
/// Not part of Cake.Frosting: runs after everything else, the error message included, so that the
/// last lines a person reads can point somewhere (the run's report, say).
/// </summary>
public interface IHostEpilogue
{
    void Run(ICakeContext context, int exitCode);
}
