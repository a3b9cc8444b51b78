namespace DeployBuild.Process;

/// <summary>
/// Runtime settings that build.sh and build.ps1 give this process alone (DOTNET_TC_CallCounting=0:
/// a run is too short for tiered compilation's promotions to pay). The runtime read them when it
/// started; they are taken out of the environment here, so that the commands the build starts
/// (hooks, tools, anything .NET) run with the environment the user gave. The bootstrappers name
/// them in DEPLOY_BUILD_RUNTIME_SETTINGS, only when they set them: a value the user set stays.
/// </summary>
public static class RuntimeSettings
{
    public const string Variable = "DEPLOY_BUILD_RUNTIME_SETTINGS";

    public static void KeepFromCommands()
    {
        var names = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(names))
        {
            return;
        }

        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name.StartsWith("DOTNET_", StringComparison.Ordinal))
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        Environment.SetEnvironmentVariable(Variable, null);
    }
}
