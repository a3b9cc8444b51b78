DeployBuild.Process.RuntimeSettings.KeepFromCommands();
DeployBuild.JsonOutput.Claim(args);
if (DeployBuild.HostAdditions.HelpPage.Wanted(args))
{
    // Ours, before the host: Cake's switches, the build's arguments and the targets.
    Console.Write(DeployBuild.HostAdditions.HelpPage.Text(DeployBuild.DeployArguments.Catalog, typeof(DeployBuild.DeployHost).Assembly));
    return 0;
}

var epilogue = new DeployBuild.DeployEpilogue();
var exitCode = DeployBuild.DeployHost.Create(args, epilogue).Run(args);
epilogue.Write();
return exitCode;
