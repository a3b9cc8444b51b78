using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild.Database.Remote;

/// <summary>One backup, local or remote, as --target=Backups lists it.</summary>
/// <param name="Name">What --restore-backup takes (a local file, or the s3:// URL of a remote copy).</param>
public sealed record CatalogEntry(DateTimeOffset? TakenAt, string App, string Revision, long SizeBytes, string Verified, string Where, string Name);

/// <summary>Every backup of the app: the state folder's and, with [backup.remote], the store's.</summary>
public static class BackupCatalog
{
    public static async Task<IReadOnlyList<CatalogEntry>> ReadAsync(string app, string stateDirectory, RemoteBackupSettings? remote, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var entries = new List<CatalogEntry>();
        var directory = BackupService.Directory(stateDirectory);
        if (Directory.Exists(directory))
        {
            var recorded = RecordedBackups(stateDirectory);
            foreach (var file in Directory.GetFiles(directory, $"{app}-*.dump"))
            {
                var (taken, revision) = Parse(Path.GetFileName(file), app);
                entries.Add(new CatalogEntry(taken, app, revision, new FileInfo(file).Length,
                    recorded.TryGetValue(file, out var how) ? how : "not recorded", "local", file));
            }
        }

        if (remote is not null)
        {
            using var store = new S3BackupStore(remote, environment);
            var objects = await store.ListAsync(cancellationToken);
            var keys = objects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var o in objects.Where(o => RemoteBackupService.IsBackupOf(o.Key, remote.Prefix, app)))
            {
                var (taken, revision) = Parse(Path.GetFileName(o.Key), app);
                var verified = keys.Contains(o.Key + S3BackupStore.ChecksumSuffix) ? "size and SHA-256 read back" : "no (upload not confirmed)";
                entries.Add(new CatalogEntry(taken ?? o.LastModified, app, revision, o.SizeBytes,
                    verified + (o.Key.EndsWith(".age", StringComparison.Ordinal) ? ", age-encrypted" : ", UNENCRYPTED"), remote.Endpoint, store.Url(o.Key)));
            }
        }

        return entries.OrderByDescending(e => e.TakenAt).ThenBy(e => e.Where, StringComparer.Ordinal).ToList();
    }

    public static string ToText(IReadOnlyList<CatalogEntry> entries)
    {
        var text = new StringBuilder();
        if (entries.Count == 0)
        {
            return "No backups, local or remote.\n";
        }

        text.AppendLine("| Time (UTC) | App | Revision | Size | Verified | Where | Restore with --restore-backup= |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var e in entries)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.TakenAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?"} | {e.App} | {e.Revision} | {BackupService.Size(e.SizeBytes)} | {e.Verified} | {e.Where} | {e.Name} |");
        }

        return text.ToString();
    }

    /// <summary>From <c>&lt;app&gt;-yyyyMMddTHHmmssZ-&lt;revision&gt;.dump[.age]</c>.</summary>
    private static (DateTimeOffset? TakenAt, string Revision) Parse(string name, string app)
    {
        var rest = name[(app.Length + 1)..];
        var end = rest.IndexOf(".dump", StringComparison.Ordinal);
        rest = end >= 0 ? rest[..end] : rest;
        var dash = rest.IndexOf('-');
        if (dash < 0 || !DateTimeOffset.TryParseExact(rest[..dash], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var taken))
        {
            return (null, rest);
        }

        return (taken, rest[(dash + 1)..]);
    }

    /// <summary>Local backups the run journals recorded as verified, with how.</summary>
    private static Dictionary<string, string> RecordedBackups(string stateDirectory)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        var runs = RunJournal.RunsDirectory(stateDirectory);
        if (!Directory.Exists(runs))
        {
            return recorded;
        }

        foreach (var journal in Directory.GetFiles(runs, RunJournal.FileName, SearchOption.AllDirectories))
        {
            try
            {
                var data = RunJournal.Open(journal, s => s, TimeProvider.System);
                if (data.Read<BackupOutputs>() is { Verified: { } how } backup)
                {
                    recorded[backup.File] = how == "restore" ? "restored and counted" : "read back whole";
                }
            }
            catch (JsonException)
            {
            }
        }

        return recorded;
    }
}
