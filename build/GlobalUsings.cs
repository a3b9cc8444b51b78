// The day the feed serves Cake.Frosting, this line becomes "global using Cake.Frosting;".
global using DeployBuild.Hosting;
global using DeployBuild.HostAdditions;
