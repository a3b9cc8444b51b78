DeployBuild.JsonOutput.Claim(args);
return DeployBuild.DeployHost.Create().Run(args);
