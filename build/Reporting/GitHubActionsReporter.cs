using System.Globalization;
using Cake.Common.Build;
using Cake.Common.Build.GitHubActions;
using Cake.Common.Build.GitHubActions.Data;
using Cake.Core;
using DeployBuild.Checks;
using DeployBuild.Settings;

namespace DeployBuild.Reporting;

/// <summary>
/// What a run under GitHub Actions tells the runner: secret values to mask (before any output),
/// a log group per task, error annotations at the file and line concerned, the report as the job
/// summary, and step outputs. Messages are masked by the caller; only ::add-mask:: carries a value.
/// </summary>
public sealed class GitHubActionsReporter
{
    private readonly GitHubActionsProvider _provider;
    private bool _inGroup;

    private GitHubActionsReporter(GitHubActionsProvider provider)
    {
        _provider = provider;
    }

    public static GitHubActionsReporter? Detect(ICakeContext context)
    {
        var provider = new GitHubActionsProvider(context.Environment, context.FileSystem, new StandardOutputWriter());
        return provider.IsRunningOnGitHubActions ? new GitHubActionsReporter(provider) : null;
    }

    public void Mask(IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            _provider.Commands.SetSecret(value);
        }
    }

    public void StartGroup(string name)
    {
        _provider.Commands.StartGroup(name);
        _inGroup = true;
    }

    /// <summary>Ends the open group, if any: a failed step's handler ends it early, the step's teardown then has nothing to end.</summary>
    public void EndGroup()
    {
        if (_inGroup)
        {
            _provider.Commands.EndGroup();
            _inGroup = false;
        }
    }

    public void Annotate(IEnumerable<ConfigError> errors)
    {
        foreach (var error in errors)
        {
            _provider.Commands.Error(error.Hint is null ? error.Message : $"{error.Message} ({error.Hint})", new GitHubActionsAnnotation
            {
                Title = "Configuration error",
                File = error.Position.File,
                StartLine = error.Position.Line,
                StartColumn = error.Position.Column,
            });
        }
    }

    public void Annotate(string title, IEnumerable<State.CheckOutput> checks)
    {
        foreach (var result in checks)
        {
            foreach (var finding in (result.Findings ?? []).Where(f => f.Result == ValidationRunner.Label(CheckOutcome.Fail)))
            {
                var message = finding.Fix is null ? finding.Message : $"{finding.Message} (fix: {finding.Fix})";
                _provider.Commands.Error(message, Place($"{title}: {result.Name}", finding.Location));
            }
        }
    }

    public void Error(string title, string message) => _provider.Commands.Error(message, new GitHubActionsAnnotation { Title = title });

    public void Summary(string markdown) => _provider.Commands.SetStepSummary(markdown);

    public void Outputs(IReadOnlyDictionary<string, string> outputs)
    {
        foreach (var (name, value) in outputs)
        {
            _provider.Commands.SetOutputParameter(name, value);
        }
    }

    /// <summary>"file:line[:col]" becomes an annotation on that line; anything else annotates the run.</summary>
    internal static GitHubActionsAnnotation Place(string title, string? location)
    {
        var annotation = new GitHubActionsAnnotation { Title = title };
        if (location is null)
        {
            return annotation;
        }

        var parts = location.Split(':');
        var numbers = parts.Reverse().TakeWhile(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)).Reverse().ToList();
        if (numbers.Count == 0 || numbers.Count > 2)
        {
            return annotation;
        }

        annotation.File = string.Join(':', parts.Take(parts.Length - numbers.Count));
        annotation.StartLine = int.Parse(numbers[0], CultureInfo.InvariantCulture);
        if (numbers.Count == 2)
        {
            annotation.StartColumn = int.Parse(numbers[1], CultureInfo.InvariantCulture);
        }

        return annotation;
    }

    /// <summary>Workflow commands go to stdout as they are: the runner reads them there.</summary>
    private sealed class StandardOutputWriter : IBuildSystemServiceMessageWriter
    {
        public void Write(string format, params object[] args)
        {
            Console.Out.WriteLine(args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args));
            Console.Out.Flush();
        }
    }
}
