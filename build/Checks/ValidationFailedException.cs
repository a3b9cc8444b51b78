namespace DeployBuild.Checks;

/// <summary>A pre-deploy check failed: the run stops before anything changes.</summary>
public sealed class ValidationFailedException(string message) : Exception(message);
