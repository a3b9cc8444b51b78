namespace DeployBuild.Hosting;

/// <summary>A Cake configuration value (what cake.config or CAKE_* variables would set).</summary>
internal sealed record HostCakeSetting(string Key, string Value);
