using Cake.Core.IO;

namespace DeployBuild.Hosting;

/// <summary>The working directory the build runs in (Cake.Frosting's internal WorkingDirectory).</summary>
internal sealed record HostWorkingDirectory(DirectoryPath Path);
