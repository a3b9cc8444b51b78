namespace DeployBuild.Fly;

/// <summary>The release is not serving on every machine.</summary>
public sealed class ReleaseFailedException(string message) : Exception(message);
