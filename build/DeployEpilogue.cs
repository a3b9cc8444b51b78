using Cake.Core;
using Cake.Core.Diagnostics;

namespace DeployBuild;

/// <summary>The last lines of every run: where its report and journal are.</summary>
public sealed class DeployEpilogue : IHostEpilogue
{
    public void Run(ICakeContext context, int exitCode)
    {
        if (context is not DeployContext { Journal: { } journal } deploy)
        {
            return;
        }

        context.Log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", string.Empty);
        if (deploy.ReportPath is { } report)
        {
            context.Log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"Report:  {deploy.Display(report)}");
        }

        context.Log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"Journal: {deploy.Display(journal.Path)}");
        foreach (var (label, path) in deploy.OtherReports)
        {
            context.Log.Write(Verbosity.Quiet, LogLevel.Information, "{0}", $"{label}: {deploy.Display(path)}");
        }
    }
}
