using Cake.Core.Diagnostics;

namespace DeployBuild;

/// <summary>
/// The last lines of every run: where its report and journal are. Ours, not Cake.Frosting's:
/// Program.cs writes them once the host returned (after Cake's summary table), so it works under
/// either host; the context registers itself here when the host creates it.
/// </summary>
public sealed class DeployEpilogue
{
    public DeployContext? Context { get; internal set; }

    public void Write()
    {
        if (Context is not { Journal: { } journal } deploy)
        {
            return;
        }

        var log = deploy.Log;
        log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", string.Empty);
        if (deploy.ReportPath is { } report)
        {
            log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"Report:  {deploy.Display(report)}");
        }

        log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"Journal: {deploy.Display(journal.Path)}");
        foreach (var (label, path) in deploy.OtherReports)
        {
            log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"{label}: {deploy.Display(path)}");
        }
    }
}
