namespace DeployBuild.Hosting;

/// <summary>
/// Not part of Cake.Frosting: a project argument the build accepts. The host lists them in
/// <c>--help</c> and refuses arguments nobody declared, so a typo never goes unnoticed.
/// </summary>
/// <param name="Name">Name without dashes, as in <c>--name=value</c>.</param>
/// <param name="Value">Placeholder for the value, or null for a flag.</param>
/// <param name="Description">One or two sentences, with the default.</param>
public sealed record BuildArgument(string Name, string? Value, string Description);
