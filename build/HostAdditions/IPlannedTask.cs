using Cake.Core;

namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours, not Cake.Frosting's: a task that can say, without doing anything, which commands it
/// would run. In a <c>--dryrun</c>, <see cref="DryRunPlan"/> prints these lines from the
/// lifetime's setup (which Cake.Cli's dry run performs), so it works under either host.
/// </summary>
public interface IPlannedTask<in T>
    where T : ICakeContext
{
    IEnumerable<string> Plan(T context);
}
