// The tests drive PostgreSQL clusters, the flyctl simulator and bash: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
