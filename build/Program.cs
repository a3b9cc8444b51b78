return DeployBuild.DeployHost.Create().Run(args);
