// Each test runs a simulated platform (supervisor, Python machines, proxies) and some measure
// downtime: running them one at a time keeps a 2-core machine from turning timing into noise.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
