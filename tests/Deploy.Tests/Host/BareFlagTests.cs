using Cake.Core;
using DeployBuild.Hosting;

namespace DeployBuild.Tests.Host;

/// <summary>
/// A bare <c>--force</c> means on. Cake.Frosting hands it to <see cref="ICakeArguments"/> with no
/// value (null); our host does the same; <c>=true</c>/<c>=false</c> are honoured in both.
/// </summary>
public sealed class BareFlagTests
{
    public static readonly string[] Names =
    [
        "force", "resume", "yes", "allow-dirty", "push-tag", "json", "break-lock", "skip-hooks", "local-build", "restore-on-failure",
    ];

    public static TheoryData<string> Flags() => new(Names);

    private static bool Read(DeployArguments options, string flag) => flag switch
    {
        "force" => options.Force,
        "resume" => options.Resume,
        "yes" => options.Yes,
        "allow-dirty" => options.AllowDirty,
        "push-tag" => options.PushTag,
        "json" => options.Json,
        "break-lock" => options.BreakLock,
        "skip-hooks" => options.SkipHooks,
        "local-build" => options.LocalBuild,
        "restore-on-failure" => options.RestoreOnFailure,
        _ => throw new ArgumentOutOfRangeException(nameof(flag)),
    };

    private static DeployArguments Parse(params (string Name, string? Value)[] pairs) =>
        DeployArguments.Parse(
            new CakeArguments(pairs.ToLookup(p => p.Name, p => p.Value!, StringComparer.OrdinalIgnoreCase)),
            Path.GetTempPath());

    [Theory]
    [MemberData(nameof(Flags))]
    public void A_flag_given_as_Frosting_hands_it_over_is_on(string flag)
    {
        // Cake.Cli's ToCakeArguments keeps a bare "--force" as the key with a null value.
        Assert.True(Read(Parse((flag, null)), flag));
        Assert.True(Read(Parse((flag, string.Empty)), flag));
    }

    [Theory]
    [MemberData(nameof(Flags))]
    public void A_flag_honours_true_and_false_and_is_off_when_absent(string flag)
    {
        Assert.True(Read(Parse((flag, "true")), flag));
        Assert.False(Read(Parse((flag, "false")), flag));
        Assert.False(Read(Parse(), flag));
    }

    [Fact]
    public void A_flag_with_a_value_that_is_not_a_boolean_is_refused_naming_it()
    {
        var ex = Assert.ThrowsAny<Exception>(() => Parse(("force", "maybe")));
        Assert.Contains("--force=maybe: expected true or false", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Flags))]
    public void Our_host_hands_a_bare_flag_over_as_Frosting_does(string flag)
    {
        var host = new HostFixture().WithTasks(typeof(ReadsFlags));

        Assert.Equal(0, host.Run("--target=ReadsFlags", "--" + flag, "--dryrun=false"));
        Assert.Equal([$"{flag}=on"], host.Recorder.Events.Where(e => e.StartsWith(flag + "=", StringComparison.Ordinal)));

        var off = new HostFixture().WithTasks(typeof(ReadsFlags));
        Assert.Equal(0, off.Run("--target=ReadsFlags", $"--{flag}=false"));
        Assert.Equal([$"{flag}=off"], off.Recorder.Events.Where(e => e.StartsWith(flag + "=", StringComparison.Ordinal)));
    }
}

/// <summary>Records what the build reads for each flag.</summary>
public sealed class ReadsFlags : FrostingTask<TestContext>
{
    public override void Run(TestContext context)
    {
        foreach (var flag in BareFlagTests.Names)
        {
            context.Recorder.Add($"{flag}={(DeployArguments.IsOn(context.Arguments, flag) ? "on" : "off")}");
        }
    }
}
