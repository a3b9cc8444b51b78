using DeployBuild.TestBed;

namespace DeployBuild.Tests.Database.Remote;

/// <summary>One <see cref="S3Server"/> for a test class: xunit starts it before the first test and stops it after the last.</summary>
public sealed class S3ServerFixture : S3Server, IAsyncLifetime;
