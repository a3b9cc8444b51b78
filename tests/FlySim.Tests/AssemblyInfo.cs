// Each test runs a simulated platform (supervisor, Python machines, proxies) that mostly waits
// (for checks, grace periods, kill timeouts): two classes side by side keep a 2-core machine busy
// without starving it. Classes that watch for downtime or time a follow run afterwards, alone
// (Harness/TimingSensitive).
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 2)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
