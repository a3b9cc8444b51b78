using DeployBuild.TestBed;

namespace DeployBuild.Tests.Support;

/// <summary>Runs ./build.sh as a user would, through the test bed's one process runner.</summary>
public static class BuildRunner
{
    public static Task<ProcessResult> RunAsync(IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync("bash", [Repo.Path("build.sh"), .. args], workingDirectory ?? Repo.Root, environment, timeout ?? TimeSpan.FromMinutes(5));
}
