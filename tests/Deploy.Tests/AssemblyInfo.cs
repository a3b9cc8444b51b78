// The tests drive PostgreSQL clusters, the flyctl simulator and bash: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Most of a bed's time is spent waiting (for a machine's checks, a settle deadline, a killed
// step, a timeout), not computing: three classes side by side keep a 2-core machine busy without
// starving it. Classes that time short intervals run afterwards, alone (Support/TimingSensitive).
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 3)]
// The classes of that collection run beside one another once all the others are done (Support/TimingLastFramework).
[assembly: Xunit.TestFramework("DeployBuild.Tests.Support.TimingLastFramework", "Deploy.Tests")]
// The classes with the longest tests start first, so that none runs alone at the end (Support/LongestFirst).
[assembly: Xunit.TestCollectionOrderer("DeployBuild.Tests.Support.LongestFirst", "Deploy.Tests")]
