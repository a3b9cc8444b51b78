using DeployBuild.Hooks;
using DeployBuild.State;

namespace DeployBuild;

/// <summary>The config folder's hooks, run at their points of a run with the run's facts.</summary>
public static class DeployHooks
{
    /// <summary>Runs the hook for <paramref name="point"/>, if there is one; a pre-* hook that fails throws.</summary>
    public static Task RunHookAsync(this DeployContext context, string point, string? result = null) =>
        new HookRunner(context.Options.ConfigDirectory, context.Options.SkipHooks, context.Commands, context.Log, context.Display)
            .RunAsync(point, new HookFacts(context.Settings.App, context.Options.Target, context.Commit, context.Settings.BackendPath, context.StateDirectory, context.ReportPath), context.Journal, result);

    /// <summary>
    /// The pre-deploy hook, once per run, before the first step that changes production (Backup,
    /// Migrate or Release, whichever runs first) of a run that deploys.
    /// </summary>
    public static async Task BeforeFirstChangeAsync(this DeployContext context)
    {
        if (!context.PlannedTasks.Contains("Release", StringComparer.OrdinalIgnoreCase) || context.Journal?.Read<HookOutputs>() is { PreDeployPassed: true })
        {
            return;
        }

        await context.RunHookAsync("pre-deploy");
        context.Journal?.Update<HookOutputs>(o => o with { PreDeployPassed = true });
    }
}
