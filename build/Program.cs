DeployBuild.JsonOutput.Claim(args);
return DeployBuild.DeployHost.Create(args).Run(args);
