using Cake.Core;

namespace DeployBuild.Hosting;

/// <summary>Marker for the build's typed context.</summary>
public interface IFrostingContext : ICakeContext
{
}

/// <summary>Base class of a typed build context; wraps the Cake context built by the host.</summary>
public class FrostingContext(ICakeContext context) : CakeContextAdapter(context), IFrostingContext
{
}
