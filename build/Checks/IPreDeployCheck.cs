namespace DeployBuild.Checks;

/// <summary>One line of the pre-deploy checklist. Checks run concurrently and change nothing.</summary>
public interface IPreDeployCheck
{
    string Name { get; }

    Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken);
}
