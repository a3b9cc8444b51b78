namespace DeployBuild.Fly;

/// <summary>Fly's metrics could not be read; the message says why, without the token.</summary>
public sealed class FlyMetricsException(string message) : Exception(message);
