using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlySim.State;

/// <summary>
/// The simulated Fly platform's data, kept in <c>$FLYSIM_STATE_DIR</c>. Every file is replaced
/// atomically (write to a temp file, rename); read-modify-write cycles hold <see cref="LockAsync"/>.
/// </summary>
internal sealed class StateStore
{
    public const string StateDirVariable = "FLYSIM_STATE_DIR";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    public StateStore(string root)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    public string Root { get; }

    public string AppsDir => Path.Combine(Root, "apps");

    public string ImagesDir => Path.Combine(Root, "images");

    public string FaultsPath => Path.Combine(Root, "faults.json");

    public string SupervisorPath => Path.Combine(Root, "supervisor.json");

    public string SupervisorLockPath => Path.Combine(Root, "supervisor.lock");

    public string SupervisorLogPath => Path.Combine(Root, "supervisor.log");

    public string PlatformPath => Path.Combine(Root, "platform.json");

    public static StateStore FromEnvironment()
    {
        var dir = Environment.GetEnvironmentVariable(StateDirVariable);
        if (string.IsNullOrWhiteSpace(dir))
        {
            throw new FlyException(
                $"{StateDirVariable} is not set. The flyctl simulator keeps apps, releases, secrets and machines in that folder: export {StateDirVariable}=/path/to/a/folder");
        }

        var store = new StateStore(dir);
        Directory.CreateDirectory(store.Root);
        return store;
    }

    public string AppDir(string app) => Path.Combine(AppsDir, app);

    public string AppFile(string app, string name) => Path.Combine(AppDir(app), name);

    public string LeasePath(string app) => Path.Combine(Root, "leases", app + ".lock");

    public Task<FileLock> LockAsync(CancellationToken cancellationToken) =>
        FileLock.AcquireAsync(Path.Combine(Root, ".lock"), LockTimeout, cancellationToken);

    public bool AppExists(string app) => File.Exists(AppFile(app, "app.json"));

    public IReadOnlyList<string> ListApps() =>
        Directory.Exists(AppsDir)
            ? Directory.EnumerateDirectories(AppsDir)
                .Where(d => File.Exists(Path.Combine(d, "app.json")))
                .Select(Path.GetFileName)
                .OfType<string>()
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    public AppRecord? ReadApp(string app) => Read(AppFile(app, "app.json"), StateJson.Default.AppRecord);

    public void WriteApp(AppRecord record) => Write(AppFile(record.Name, "app.json"), record, StateJson.Default.AppRecord);

    public List<ReleaseRecord> ReadReleases(string app) =>
        Read(AppFile(app, "releases.json"), StateJson.Default.ListReleaseRecord) ?? [];

    public void WriteReleases(string app, List<ReleaseRecord> releases) =>
        Write(AppFile(app, "releases.json"), releases, StateJson.Default.ListReleaseRecord);

    public List<SecretRecord> ReadSecrets(string app) =>
        Read(AppFile(app, "secrets.json"), StateJson.Default.ListSecretRecord) ?? [];

    /// <summary>Secret values live only here, readable by the owner alone, like a server-side vault.</summary>
    public void WriteSecrets(string app, List<SecretRecord> secrets) =>
        Write(AppFile(app, "secrets.json"), secrets, StateJson.Default.ListSecretRecord, privateFile: true);

    public List<MachineRecord> ReadMachines(string app) =>
        Read(AppFile(app, "machines.json"), StateJson.Default.ListMachineRecord) ?? [];

    public void WriteMachines(string app, List<MachineRecord> machines) =>
        Write(AppFile(app, "machines.json"), machines, StateJson.Default.ListMachineRecord);

    public SupervisorInfo? ReadSupervisor() => Read(SupervisorPath, StateJson.Default.SupervisorInfo);

    public void WriteSupervisor(SupervisorInfo info) => Write(SupervisorPath, info, StateJson.Default.SupervisorInfo);

    public PlatformRecord? ReadPlatform() => Read(PlatformPath, StateJson.Default.PlatformRecord);

    /// <summary>The access token is a credential: the file is readable by the owner alone.</summary>
    public void WritePlatform(PlatformRecord platform) => Write(PlatformPath, platform, StateJson.Default.PlatformRecord, privateFile: true);

    /// <summary>The platform record, made on first use: a new access token and a free loopback port for the metrics API.</summary>
    public async Task<PlatformRecord> PlatformAsync(CancellationToken cancellationToken)
    {
        if (ReadPlatform() is { } existing)
        {
            return existing;
        }

        using var _ = await LockAsync(cancellationToken).ConfigureAwait(false);
        if (ReadPlatform() is { } raced)
        {
            return raced;
        }

        var created = new PlatformRecord
        {
            // Shaped like flyctl's OAuth tokens ("fo1_" and 43 url-safe characters).
            AccessToken = "fo1_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            MetricsPort = Commands.Ids.FreeLoopbackPort(),
        };
        WritePlatform(created);
        return created;
    }

    public static T? Read<T>(string path, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length == 0 ? default : JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (FileNotFoundException)
        {
            return default;
        }
        catch (DirectoryNotFoundException)
        {
            return default;
        }
        catch (JsonException ex)
        {
            throw new FlyException($"simulator state file {path} is corrupt: {ex.Message}");
        }
    }

    public static void Write<T>(string path, T value, JsonTypeInfo<T> typeInfo, bool privateFile = false)
    {
        WriteBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), privateFile);
    }

    public static void WriteBytes(string path, byte[] bytes, bool privateFile = false)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = privateFile
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: false);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Appends log lines; O_APPEND keeps concurrent writers (CLI and supervisor) from interleaving a line.</summary>
    public void AppendLogs(string app, IEnumerable<LogEntry> entries)
    {
        var dir = AppDir(app);
        if (!Directory.Exists(dir))
        {
            return;
        }

        var builder = new System.Text.StringBuilder();
        foreach (var entry in entries)
        {
            builder.Append(JsonSerializer.Serialize(entry, LogJson.Default.LogEntry)).Append('\n');
        }

        if (builder.Length == 0)
        {
            return;
        }

        try
        {
            using var stream = new FileStream(Path.Combine(dir, "logs.jsonl"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(builder.ToString()));
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public IEnumerable<LogEntry> ReadLogs(string app)
    {
        var path = AppFile(app, "logs.jsonl");
        if (!File.Exists(path))
        {
            yield break;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            LogEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(line, LogJson.Default.LogEntry);
            }
            catch (JsonException)
            {
                continue;
            }

            if (entry is not null)
            {
                yield return entry;
            }
        }
    }
}
