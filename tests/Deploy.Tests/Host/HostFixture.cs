using Cake.Core;
using DeployBuild.HostAdditions;
using DeployBuild.Hosting;
using DeployBuild.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace DeployBuild.Tests.Host;

/// <summary>What the test tasks did, in order.</summary>
public sealed class Recorder
{
    private readonly List<string> _events = [];

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    public Dictionary<string, bool> ShouldRun { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

    public bool Rethrow { get; set; } = true;

    public ITeardownContext? Teardown { get; set; }

    public void Add(string e)
    {
        lock (_events)
        {
            _events.Add(e);
        }
    }
}

public sealed class TestContext(ICakeContext context, Recorder recorder, SecretMasker masker) : FrostingContext(context)
{
    public Recorder Recorder { get; } = recorder;

    public SecretMasker Masker { get; } = masker;
}

/// <summary>Runs the real host in-process with test tasks and captured output.</summary>
public sealed class HostFixture
{
    private readonly List<Type> _tasks = [];
    private readonly List<System.Reflection.Assembly> _assemblies = [];
    private bool _lifetime;
    private bool _taskLifetime;
    private readonly StringWriter _ansi = new();

    public Recorder Recorder { get; } = new();

    public CapturingConsole Console { get; } = new();

    public string Output => Console.Text + _ansi;

    public HostFixture WithTasks(params Type[] tasks)
    {
        _tasks.AddRange(tasks);
        return this;
    }

    public HostFixture WithAssembly(System.Reflection.Assembly assembly)
    {
        _assemblies.Add(assembly);
        return this;
    }

    public HostFixture WithLifetime()
    {
        _lifetime = true;
        return this;
    }

    public HostFixture WithTaskLifetime()
    {
        _taskLifetime = true;
        return this;
    }

    public int Run(params string[] args)
    {
        var host = new CakeHost()
            .UseContext<TestContext>()
            .ConfigureServices(services =>
            {
                // As the build does: masking through the public ConfigureServices.
                services.AddSecretMasking();
                services.AddSingleton(Recorder);
                services.AddSingleton<IConsole>(Console);
                services.AddSingleton(AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Ansi = AnsiSupport.No,
                    ColorSystem = ColorSystemSupport.NoColors,
                    Out = new AnsiConsoleOutput(_ansi),
                }));
                foreach (var task in _tasks)
                {
                    services.AddSingleton(typeof(IFrostingTask), task);
                }
            });
        foreach (var assembly in _assemblies)
        {
            host = host.AddAssembly(assembly);
        }

        if (_lifetime)
        {
            host = host.UseLifetime<RecordingLifetime>();
        }

        if (_taskLifetime)
        {
            host = host.UseTaskLifetime<RecordingTaskLifetime>();
        }

        return host.Run(args);
    }
}

public abstract class RecordingTask : FrostingTask<TestContext>
{
    private string Name => GetType().Name;

    public override bool ShouldRun(TestContext context) =>
        !context.Recorder.ShouldRun.TryGetValue(Name, out var run) || run;

    public override void Run(TestContext context)
    {
        context.Recorder.Add(Name);
        if (context.Recorder.Failing.Contains(Name))
        {
            throw new InvalidOperationException($"{Name} failed on purpose");
        }
    }
}

public sealed class A : RecordingTask;

[IsDependentOn(typeof(A))]
public sealed class B : RecordingTask;

[IsDependentOn(typeof(B))]
[TaskDescription("The last task")]
public sealed class C : RecordingTask;

/// <summary>What runs without --target, as under Cake.Frosting.</summary>
[IsDependentOn(typeof(C))]
public sealed class Default : RecordingTask;

[IsDependeeOf(typeof(C))]
public sealed class BeforeC : RecordingTask;

[TaskName("Named-Task")]
public sealed class NamedTask : RecordingTask;

/// <summary>Handles its own error, then rethrows (or not) as the recorder says.</summary>
[IsDependentOn(typeof(A))]
public sealed class Handled : RecordingTask
{
    public override void OnError(Exception exception, TestContext context)
    {
        context.Recorder.Add("Handled.OnError:" + exception.Message);
        if (context.Recorder.Rethrow)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
        }
    }

    public override void Finally(TestContext context) => context.Recorder.Add("Handled.Finally");
}

[IsDependentOn(typeof(Handled))]
public sealed class AfterHandled : RecordingTask;

public sealed class AsyncTask : AsyncFrostingTask<TestContext>
{
    public override async Task RunAsync(TestContext context)
    {
        await Task.Yield();
        context.Recorder.Add("AsyncTask");
        throw new TimeoutException("async failure");
    }
}

public sealed class Planned : RecordingTask, IPlannedTask<TestContext>
{
    public IEnumerable<string> Plan(TestContext context) => ["run the first command", "then the second"];
}

public sealed class ListsArguments : FrostingTask<TestContext>
{
    public override void Run(TestContext context)
    {
        foreach (var (name, values) in context.Arguments.GetArguments().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            context.Recorder.Add($"{name}={string.Join(",", values)}");
        }
    }
}

public sealed class ExitsWithThree : RecordingTask
{
    public override void Run(TestContext context) => throw new CakeException(3, "stopped with code 3");
}

public sealed class LogsSecret : RecordingTask
{
    public override void Run(TestContext context)
    {
        context.Masker.Add("hunter2-very-secret");
        context.Log.Write(Cake.Core.Diagnostics.Verbosity.Normal, Cake.Core.Diagnostics.LogLevel.Information,
            "connecting with password {0} now", "hunter2-very-secret");
        throw new InvalidOperationException("login failed for password hunter2-very-secret");
    }
}

public sealed class RecordingLifetime : FrostingLifetime<TestContext>
{
    public override void Setup(TestContext context, ISetupContext info)
    {
        context.Recorder.Add("Setup");
        if (context.Recorder.Failing.Contains("Setup"))
        {
            throw new InvalidOperationException("Setup failed on purpose");
        }
    }

    public override void Teardown(TestContext context, ITeardownContext info)
    {
        context.Recorder.Add("Teardown");
        context.Recorder.Teardown = info;
    }
}

public sealed class RecordingTaskLifetime : FrostingTaskLifetime<TestContext>
{
    public override void Setup(TestContext context, ITaskSetupContext info) => context.Recorder.Add("TaskSetup:" + info.Task.Name);

    public override void Teardown(TestContext context, ITaskTeardownContext info) =>
        context.Recorder.Add($"TaskTeardown:{info.Task.Name}:{(info.Successful ? "ok" : "failed")}");
}
