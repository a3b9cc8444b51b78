using Cake.Core.Diagnostics;
using DeployBuild.Checks;
using DeployBuild.Fly;
using DeployBuild.Process;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Checks;

/// <summary>The checks' context for the sample backend and the shipped config, with the database URL given, and no bed.</summary>
internal static class SampleCheckContext
{
    public static CheckContext Create(string databaseUrl, string workDirectory, Func<FlyCli> fly)
    {
        var settings = SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, Repo.Path("tests", "sample-backend"));
        var masker = new SecretMasker();
        var commands = new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker);
        return new CheckContext(settings, commands, name => name == settings.Database.UrlEnv ? databaseUrl : Environment.GetEnvironmentVariable(name),
            fly, "immediate", allowDirty: true, localBuild: false, tools: null!, workDirectory: workDirectory);
    }
}
