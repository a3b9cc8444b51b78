using Cake.Common.Diagnostics;
using DeployBuild.Process;
using DeployBuild.State;
using LibGit2Sharp;

namespace DeployBuild.Tasks;

[TaskName("Tag")]
[TaskDescription("After a verified deploy, tag the deployed commit deploy/<app>/v<release> (git.tag in deploy.toml; --push-tag pushes it).")]
[IsDependentOn(typeof(Verify))]
public sealed class Tag : DeployStep, IUsesBackend, IPlannedTask<DeployContext>
{
    public override bool ShouldRun(DeployContext context)
    {
        string? reason = null;
        if (!context.Settings.Git.Tag)
        {
            reason = "git.tag = false in deploy.toml";
        }
        else if (context.Journal is null)
        {
            // --dryrun: setup opened no journal, so nothing is known yet; plan the tag.
            return true;
        }
        else if (context.Commit is null)
        {
            reason = "the backend is not a git work tree";
        }
        else if (context.Journal.Read<ReleaseOutputs>()?.NewVersion is null)
        {
            reason = "this run deployed no release";
        }
        else if (Checks.GitCheck.Changes(context.Settings.BackendPath).Count > 0)
        {
            reason = "the deployed work tree had uncommitted changes, so no commit matches the release";
        }

        if (reason is not null)
        {
            context.Information("Skipping Tag: {0}.", reason);
            context.Journal?.Skip(Name, reason);
            return false;
        }

        return base.ShouldRun(context);
    }

    public override async Task RunAsync(DeployContext context)
    {
        var journal = context.Journal!;
        var release = journal.Read<ReleaseOutputs>()!;
        var name = TagName(context, release.NewVersion!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The release is live and verified: a tag that cannot be written is a warning, never a reason to roll back.
        try
        {
            using var repo = new Repository(Repository.Discover(context.Settings.BackendPath));
            var signature = repo.Config.BuildSignature(DateTimeOffset.Now) ?? new Signature("deploy-build", "deploy-build@localhost", DateTimeOffset.Now);
            var existing = repo.Tags[name];
            if (existing is null)
            {
                repo.ApplyTag(name, context.Commit!, signature,
                    $"Deployed {context.Settings.App} v{release.NewVersion} ({release.NewImage}) in run {journal.RunId}.");
            }
            else if (existing.Target.Sha != context.Commit)
            {
                context.Warning("Tag {0} already exists on another commit ({1}); left as it is.", name, existing.Target.Sha[..12]);
                journal.Write(new TagOutputs { Tag = $"{name} exists on {existing.Target.Sha[..12]}" });
                return;
            }

            journal.Write(new TagOutputs { Tag = name });
            context.Information("Tagged {0} as {1}.", context.Commit![..12], name);
        }
        catch (LibGit2SharpException ex)
        {
            context.Warning("Could not tag the deployed commit: {0}", ex.Message);
            journal.Write(new TagOutputs { Tag = $"failed: {ex.Message}" });
            return;
        }

        if (context.Options.PushTag || context.Settings.Git.Push)
        {
            try
            {
                await context.Commands.RunAsync(new Command("git", ["-C", context.Settings.BackendPath, "push", "origin", $"refs/tags/{name}"])
                {
                    Timeout = TimeSpan.FromMinutes(2),
                    DisplayName = "git push (tag)",
                });
                journal.Update<TagOutputs>(o => o with { Pushed = true });
            }
            catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException or ToolNotFoundException)
            {
                context.Warning("The tag {0} was created but not pushed: {1}", name, ex.Message.Split('\n')[0]);
                journal.Update<TagOutputs>(o => o with { Pushed = false });
            }
        }
    }

    internal static string TagName(DeployContext context, string version) =>
        context.Settings.Git.TagFormat.Replace("{app}", context.Settings.App, StringComparison.Ordinal).Replace("{version}", version, StringComparison.Ordinal);

    public IEnumerable<string> Plan(DeployContext context)
    {
        if (!context.Settings.Git.Tag)
        {
            yield return "skipped: git.tag = false in deploy.toml";
            yield break;
        }

        yield return $"git tag -a {TagName(context, "<release>")} <deployed commit>" + (context.Options.PushTag || context.Settings.Git.Push ? "; git push origin <tag>" : string.Empty);
    }
}
