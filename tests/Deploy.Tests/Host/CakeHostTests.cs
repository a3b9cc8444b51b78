using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Host;

[Collection(TimingSensitive.Name)]
public sealed class CakeHostTests
{
    [Fact]
    public void Runs_dependencies_before_the_target_in_order()
    {
        // Given
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));

        // When
        var exit = host.Run("--target=C");

        // Then
        Assert.Equal(0, exit);
        Assert.Equal(["A", "B", "C"], host.Recorder.Events);
    }

    [Fact]
    public void Runs_the_Default_task_when_no_target_is_given()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C), typeof(Default));

        Assert.Equal(0, host.Run());
        Assert.Equal(["A", "B", "C", "Default"], host.Recorder.Events);
    }

    [Fact]
    public void Runs_a_dependee_before_the_task_it_names()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C), typeof(BeforeC));

        Assert.Equal(0, host.Run("--target=C"));
        Assert.Equal(["A", "B", "BeforeC", "C"], host.Recorder.Events);
    }

    [Fact]
    public void Matches_targets_case_insensitively_and_honours_TaskName()
    {
        var host = new HostFixture().WithTasks(typeof(NamedTask));

        Assert.Equal(0, host.Run("--target=named-task"));
        Assert.Equal(["NamedTask"], host.Recorder.Events);
    }

    [Fact]
    public void Skips_a_task_whose_ShouldRun_is_false_and_runs_the_rest()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));
        host.Recorder.ShouldRun["B"] = false;

        var exit = host.Run("--target=C");

        Assert.Equal(0, exit);
        Assert.Equal(["A", "C"], host.Recorder.Events);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(host.Output, @"B\s+.*Skipped"), host.Output);
    }

    [Fact]
    public void A_failing_task_fails_the_run_and_stops_the_chain()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C)).WithLifetime();
        host.Recorder.Failing.Add("B");

        var exit = host.Run("--target=C");

        Assert.Equal(1, exit);
        Assert.Equal(["Setup", "A", "B", "Teardown"], host.Recorder.Events);
        Assert.Contains("B failed on purpose", host.Output);
    }

    [Fact]
    public void OnError_that_rethrows_fails_the_run_and_Finally_still_runs()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(Handled), typeof(AfterHandled));
        host.Recorder.Failing.Add("Handled");
        host.Recorder.Rethrow = true;

        var exit = host.Run("--target=AfterHandled");

        Assert.Equal(1, exit);
        Assert.Equal(["A", "Handled", "Handled.OnError:Handled failed on purpose", "Handled.Finally"], host.Recorder.Events);
    }

    [Fact]
    public void OnError_that_does_not_rethrow_swallows_the_failure_as_Cake_does()
    {
        // Cake's engine treats a handled error as recovered: this is why tasks here rethrow.
        var host = new HostFixture().WithTasks(typeof(A), typeof(Handled), typeof(AfterHandled));
        host.Recorder.Failing.Add("Handled");
        host.Recorder.Rethrow = false;

        var exit = host.Run("--target=AfterHandled");

        Assert.Equal(0, exit);
        Assert.Equal(["A", "Handled", "Handled.OnError:Handled failed on purpose", "Handled.Finally", "AfterHandled"], host.Recorder.Events);
    }

    [Fact]
    public void Finally_runs_when_the_task_succeeds()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(Handled));

        Assert.Equal(0, host.Run("--target=Handled"));
        Assert.Equal(["A", "Handled", "Handled.Finally"], host.Recorder.Events);
    }

    [Fact]
    public void Teardown_sees_success()
    {
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();

        Assert.Equal(0, host.Run("--target=A"));
        Assert.Equal(["Setup", "A", "Teardown"], host.Recorder.Events);
        Assert.True(host.Recorder.Teardown!.Successful);
        Assert.Null(host.Recorder.Teardown.ThrownException);
    }

    [Fact]
    public void Teardown_sees_the_exception_of_a_failed_task()
    {
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();
        host.Recorder.Failing.Add("A");

        Assert.Equal(1, host.Run("--target=A"));
        Assert.False(host.Recorder.Teardown!.Successful);
        Assert.Contains("A failed on purpose", host.Recorder.Teardown.ThrownException!.Message);
    }

    [Fact]
    public void A_failing_setup_runs_no_task_but_still_runs_teardown()
    {
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();
        host.Recorder.Failing.Add("Setup");

        Assert.Equal(1, host.Run("--target=A"));
        Assert.Equal(["Setup", "Teardown"], host.Recorder.Events);
        Assert.False(host.Recorder.Teardown!.Successful);
        Assert.Contains("Setup failed on purpose", host.Output);
    }

    [Fact]
    public void Task_lifetime_wraps_every_task()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B)).WithTaskLifetime();
        host.Recorder.Failing.Add("B");

        Assert.Equal(1, host.Run("--target=B"));
        Assert.Equal(["TaskSetup:A", "A", "TaskTeardown:A:ok", "TaskSetup:B", "B", "TaskTeardown:B:failed"], host.Recorder.Events);
    }

    [Fact]
    public void Exclusive_runs_only_the_target()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));

        Assert.Equal(0, host.Run("--target=C", "--exclusive"));
        Assert.Equal(["C"], host.Recorder.Events);
    }

    [Fact]
    public void Dryrun_performs_setup_and_teardown_as_Cake_Cli_does_and_runs_no_task()
    {
        // Cake.Cli's DryRunExecutionStrategy performs setup and teardown, and neither task
        // bodies nor task setup/teardown: Cake.Frosting's dry run does the same.
        var host = new HostFixture().WithTasks(typeof(A), typeof(Planned)).WithLifetime().WithTaskLifetime();

        var exit = host.Run("--target=Planned", "--dryrun");

        Assert.Equal(0, exit);
        Assert.Equal(["Setup", "Teardown"], host.Recorder.Events);
        Assert.Contains("Performing dry run...", host.Output);
        Assert.Contains("1. Planned", host.Output);
        Assert.Contains("No tasks were actually executed.", host.Output);
    }

    [Fact]
    public void An_async_task_failure_fails_the_run()
    {
        var host = new HostFixture().WithTasks(typeof(AsyncTask));

        Assert.Equal(1, host.Run("--target=AsyncTask"));
        Assert.Equal(["AsyncTask"], host.Recorder.Events);
        Assert.Contains("async failure", host.Output);
    }

    [Fact]
    public void Unknown_target_is_refused_with_Cakes_message_before_any_setup()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C)).WithLifetime();

        var exit = host.Run("--target=Deplo");

        Assert.Equal(1, exit);
        Assert.Empty(host.Recorder.Events);
        Assert.Contains("Error: The target 'Deplo' was not found.", host.Output);

        var two = new HostFixture().WithTasks(typeof(A)).WithLifetime();
        Assert.Equal(1, two.Run("--target=X", "--target=A", "--target=Y"));
        Assert.Empty(two.Recorder.Events);
        Assert.Contains("Error: The targets 'X', 'Y' were not found.", two.Output);
    }

    [Fact]
    public void Several_targets_all_run_in_order_with_one_setup_and_teardown()
    {
        var host = new HostFixture().WithTasks(typeof(A), typeof(NamedTask)).WithLifetime();

        Assert.Equal(0, host.Run("--target=Named-Task", "-t", "A"));
        var events = host.Recorder.Events;
        Assert.Equal("Setup", events[0]);
        Assert.Equal("Teardown", events[^1]);
        // Cake.Core 7 orders several targets on one graph; both run, once each.
        Assert.Equal(["A", "NamedTask"], events.Skip(1).SkipLast(1).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Showtree_and_showdescriptions_are_aliases_as_in_Frosting()
    {
        var tree = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));
        Assert.Equal(0, tree.Run("--showtree"));
        Assert.Empty(tree.Recorder.Events);
        Assert.Matches(@"C\s*\n\s*└─B\s*\n\s*└─A", tree.Output);

        var description = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));
        Assert.Equal(0, description.Run("--showdescriptions"));
        Assert.Empty(description.Recorder.Events);
        Assert.Contains("The last task", description.Output);
    }

    [Fact]
    public void A_failing_task_exits_with_Cake_Cli_code_for_the_engines_report_exception()
    {
        // Cake's engine wraps a task's exception (even a CakeException with its own exit code) in
        // a CakeReportException, whose exit code Cake.Cli's LogException returns: 1.
        var host = new HostFixture().WithTasks(typeof(ExitsWithThree));

        Assert.Equal(1, host.Run("--target=ExitsWithThree"));
        Assert.Contains("Error: stopped with code 3", host.Output);
    }

    [Fact]
    public void Unknown_argument_is_refused_with_a_suggestion_from_the_declared_ones()
    {
        // The check is the build's, on Cake's public ICakeArguments, so it works under either host.
        var catalog = new[] { new BuildArgument("strategy", "name", "test argument") };
        var arguments = new Cake.Core.CakeArguments(new[] { ("stratgy", "rolling"), ("target", "A") }
            .ToLookup(p => p.Item1, p => p.Item2, StringComparer.OrdinalIgnoreCase));

        var ex = Assert.Throws<Cake.Core.CakeException>(() => BuildArgument.Check(arguments, catalog));
        Assert.Contains("Unknown argument --stratgy. Did you mean --strategy?", ex.Message);

        BuildArgument.Check(new Cake.Core.CakeArguments(new[] { ("strategy", "rolling"), ("target", "A") }
            .ToLookup(p => p.Item1, p => p.Item2, StringComparer.OrdinalIgnoreCase)), catalog);
    }

    [Fact]
    public void Host_switches_do_not_reach_the_builds_arguments_except_the_targets_as_in_Frosting()
    {
        var host = new HostFixture().WithTasks(typeof(ListsArguments));

        Assert.Equal(0, host.Run("--target=ListsArguments", "--verbosity=normal", "--exclusive", "--strategy=rolling"));
        Assert.Equal(["strategy=rolling", "target=ListsArguments"], host.Recorder.Events);
    }

    [Fact]
    public void Tree_and_description_show_the_graph_without_running_it()
    {
        var tree = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));
        Assert.Equal(0, tree.Run("--tree"));
        Assert.Empty(tree.Recorder.Events);
        Assert.Matches(@"C\s*\n\s*└─B\s*\n\s*└─A", tree.Output);

        var description = new HostFixture().WithTasks(typeof(A), typeof(B), typeof(C));
        Assert.Equal(0, description.Run("--description"));
        Assert.Empty(description.Recorder.Events);
        Assert.Contains("The last task", description.Output);
    }

    [Fact]
    public void Help_is_Spectres_page_of_the_switches_as_in_Frosting()
    {
        // Cake.Frosting's --help is Spectre.Console.Cli's page of its switches (no targets); the
        // build prints its own page instead (HelpPage, from Program.cs, before the host).
        var host = new HostFixture().WithTasks(typeof(A), typeof(C));

        // Spectre writes its page to the host's Spectre console.
        var exit = host.Run("--help");
        var output = host.Output;

        Assert.Equal(0, exit);
        Assert.Contains("--dryrun", output);
        Assert.Contains("--target <TARGET>", output);
        Assert.Contains("Performs a dry run", output);
        Assert.Empty(host.Recorder.Events);
    }

    [Fact]
    public void Secret_values_are_masked_in_the_log_and_in_the_error()
    {
        var host = new HostFixture().WithTasks(typeof(LogsSecret));

        Assert.Equal(1, host.Run("--target=LogsSecret"));
        Assert.DoesNotContain("hunter2-very-secret", host.Output);
        Assert.Contains("connecting with password *** now", host.Output);
        Assert.Contains("login failed for password ***", host.Output);
    }

    [Theory]
    [InlineData("--verbosity=loud", "Error: Failed to convert 'loud' to Verbosity.")]
    [InlineData("stray", "Error: Unknown command 'stray'.")]
    [InlineData("--target", "Error: Option 'target' is defined but no value has been provided.")]
    public void Bad_switches_are_refused_by_Spectre_as_in_Frosting(string argument, string message)
    {
        // Cake.Frosting's command line is parsed by Spectre.Console.Cli's CommandApp, which prints
        // its own error and returns -1 (255 as a process exit code) without running the command.
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();

        var exit = host.Run(argument);
        var output = host.Output;

        Assert.Equal(-1, exit);
        Assert.Empty(host.Recorder.Events);
        Assert.Contains(message, output);
    }

    [Fact]
    public void A_missing_working_directory_is_refused_before_any_setup_as_in_Frosting()
    {
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(1, host.Run("--target=A", "--working=" + missing));
        Assert.Empty(host.Recorder.Events);
        Assert.Contains($"The working directory '{missing}' does not exist.", host.Output);
    }
}
