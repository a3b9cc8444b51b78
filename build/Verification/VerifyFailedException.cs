namespace DeployBuild.Verification;

/// <summary>The new release does not meet the runbook's checks.</summary>
public sealed class VerifyFailedException(string message) : Exception(message);
