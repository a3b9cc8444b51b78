global using Xunit;
global using DeployBuild.HostAdditions;
