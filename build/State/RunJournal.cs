using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DeployBuild.State;

public static class StepStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Skipped = "skipped";

    /// <summary>Was done, then undone by a rollback: a resumed run does it again.</summary>
    public const string RolledBack = "rolled_back";
}

public static class RunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

public sealed class StepRecord
{
    public string Status { get; set; } = StepStatus.Pending;

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? Reason { get; set; }

    public string? Error { get; set; }

    /// <summary>The step's <see cref="IStepOutputs"/> record as JSON; null until the step records any.</summary>
    public JsonObject? Outputs { get; set; }

    /// <summary>Timed parts of the step (Validate's checks, the wait for machines...), for the report's timeline.</summary>
    public List<StepPart> Parts { get; set; } = [];
}

public sealed class JournalData
{
    /// <summary>2: each step's outputs are a typed record. 1 (before): string key/value pairs, read through <see cref="LegacyOutputs"/>.</summary>
    public const int CurrentVersion = 2;

    public int Version { get; set; } = 1;

    public string RunId { get; set; } = string.Empty;

    public string Target { get; set; } = string.Empty;

    public string Status { get; set; } = RunStatus.Running;

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? Commit { get; set; }

    public string ConfigDigest { get; set; } = string.Empty;

    public string User { get; set; } = string.Empty;

    public string Host { get; set; } = string.Empty;

    public List<DateTimeOffset> ResumedAt { get; set; } = [];

    public string? Error { get; set; }

    public Dictionary<string, StepRecord> Steps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What <paramref name="step"/> recorded, typed; null when it recorded nothing.</summary>
    public T? Read<T>(string step)
        where T : class =>
        Steps.TryGetValue(step, out var record) && record.Outputs is { } outputs ? outputs.Deserialize<T>(StepOutputsJson.Options) : null;

    public T? Read<T>()
        where T : class, IStepOutputs => Read<T>(T.Step);

    /// <summary>A journal written by an older build, its outputs put in today's shape (in memory; the file changes when the run does).</summary>
    internal void Upgrade()
    {
        if (Version >= CurrentVersion)
        {
            return;
        }

        foreach (var (name, step) in Steps)
        {
            step.Outputs = LegacyOutputs.Upgrade(name, step.Outputs);
        }

        Version = CurrentVersion;
    }
}

/// <summary>
/// <c>&lt;state&gt;/runs/&lt;run-id&gt;/journal.json</c>: every step's status and outputs, rewritten
/// atomically after each change so that a killed run can be resumed from what it really did.
/// Values pass through the secret masker before they reach the disk.
/// </summary>
public sealed class RunJournal
{
    public const string FileName = "journal.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Lock _gate = new();
    private readonly Func<string, string> _mask;
    private readonly TimeProvider _time;

    private RunJournal(string directory, JournalData data, Func<string, string> mask, TimeProvider time)
    {
        Directory = directory;
        Data = data;
        _mask = mask;
        _time = time;
    }

    public string Directory { get; }

    public string Path => System.IO.Path.Combine(Directory, FileName);

    public JournalData Data { get; }

    public string RunId => Data.RunId;

    public static string RunsDirectory(string stateDirectory) => System.IO.Path.Combine(stateDirectory, "runs");

    public static string NewRunId(TimeProvider time) =>
        $"{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public static RunJournal Create(string stateDirectory, string target, string? commit, string configDigest, Func<string, string> mask, TimeProvider time, string? runId = null)
    {
        runId ??= NewRunId(time);
        var data = new JournalData
        {
            RunId = runId,
            Target = target,
            StartedAt = time.GetUtcNow(),
            Version = JournalData.CurrentVersion,
            Commit = commit,
            ConfigDigest = configDigest,
            User = Environment.UserName,
            Host = Environment.MachineName,
        };
        var journal = new RunJournal(System.IO.Path.Combine(RunsDirectory(stateDirectory), runId), data, mask, time);
        journal.Save();
        return journal;
    }

    public static RunJournal Open(string path, Func<string, string> mask, TimeProvider time)
    {
        var data = JsonSerializer.Deserialize<JournalData>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path} is empty.");
        data.Upgrade();
        return new RunJournal(System.IO.Path.GetDirectoryName(path)!, data, mask, time);
    }

    /// <summary>The newest run's journal, whatever its outcome.</summary>
    public static string? FindLast(string stateDirectory) => JournalsNewestFirst(stateDirectory).FirstOrDefault();

    public static string JournalPath(string stateDirectory, string runId) => System.IO.Path.Combine(RunsDirectory(stateDirectory), runId, FileName);

    /// <summary>The journals of the state folder's runs, newest first (a run folder without one is skipped).</summary>
    public static IEnumerable<string> JournalsNewestFirst(string stateDirectory) =>
        NewestFirst(stateDirectory).Select(id => JournalPath(stateDirectory, id)).Where(File.Exists);

    /// <summary>The ids of the state folder's runs (its run folders), newest first.</summary>
    public static IReadOnlyList<string> NewestFirst(string stateDirectory) =>
        OldestFirst(stateDirectory, RunIds(stateDirectory)).Reverse().ToList();

    /// <summary>The ids of the state folder's runs (its run folders), in no order.</summary>
    public static IEnumerable<string> RunIds(string stateDirectory)
    {
        var runs = RunsDirectory(stateDirectory);
        return System.IO.Directory.Exists(runs)
            ? System.IO.Directory.GetDirectories(runs).Select(d => System.IO.Path.GetFileName(d)!)
            : [];
    }

    /// <summary>
    /// Run ids in the order their runs began. An id is the second its run began and a random suffix,
    /// so two runs begun within the same second (a script's Status right after its Deploy) cannot be
    /// ordered by name: those are ordered by the start their journals record (a run with no readable
    /// journal, e.g. one only the audit log names, comes first within its second).
    /// </summary>
    public static IReadOnlyList<string> OldestFirst(string stateDirectory, IEnumerable<string> runIds) =>
        runIds
            .Distinct(StringComparer.Ordinal)
            .GroupBy(SecondOf, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .SelectMany(group => group.Skip(1).Any()
                ? group.OrderBy(id => RecordedStart(stateDirectory, id) ?? DateTimeOffset.MinValue).ThenBy(id => id, StringComparer.Ordinal)
                : group.AsEnumerable())
            .ToList();

    private static string SecondOf(string runId) => runId.LastIndexOf('-') is var dash and > 0 ? runId[..dash] : runId;

    private static DateTimeOffset? RecordedStart(string stateDirectory, string runId)
    {
        try
        {
            using var stream = File.OpenRead(JournalPath(stateDirectory, runId));
            using var document = JsonDocument.Parse(stream);
            return document.RootElement.TryGetProperty("startedAt", out var started) && started.TryGetDateTimeOffset(out var at) ? at : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The newest run that did not succeed, if any: what <c>--resume</c> continues.</summary>
    public static string? FindLastUnfinished(string stateDirectory)
    {
        foreach (var path in JournalsNewestFirst(stateDirectory))
        {
            try
            {
                var data = JsonSerializer.Deserialize<JournalData>(File.ReadAllText(path), Json);
                if (data is null)
                {
                    continue;
                }

                return data.Status == RunStatus.Succeeded ? null : path;
            }
            catch (JsonException)
            {
                continue;
            }
        }

        return null;
    }

    public StepRecord Step(string name)
    {
        lock (_gate)
        {
            if (!Data.Steps.TryGetValue(name, out var step))
            {
                step = new StepRecord();
                Data.Steps[name] = step;
            }

            return step;
        }
    }

    public bool IsDone(string step)
    {
        lock (_gate)
        {
            return Data.Steps.TryGetValue(step, out var record) && record.Status == StepStatus.Done;
        }
    }

    public void Start(string step) => Update(step, s =>
    {
        s.Status = StepStatus.Running;
        s.StartedAt = _time.GetUtcNow();
        s.FinishedAt = null;
        s.Error = null;
    });

    public void Complete(string step) => Update(step, s =>
    {
        s.Status = StepStatus.Done;
        s.FinishedAt = _time.GetUtcNow();
    });

    public void Fail(string step, string error) => Update(step, s =>
    {
        s.Status = StepStatus.Failed;
        s.FinishedAt = _time.GetUtcNow();
        s.Error = _mask(error);
    });

    public void Skip(string step, string reason) => Update(step, s =>
    {
        if (s.Status != StepStatus.Done)
        {
            s.Status = StepStatus.Skipped;
        }

        s.Reason = _mask(reason);
    });

    /// <summary>A done step that a rollback undid: --resume must run it again.</summary>
    public void RolledBack(string step, string how) => Update(step, s =>
    {
        s.Status = StepStatus.RolledBack;
        s.Reason = _mask(how);
    });

    /// <summary>Records what a step produced (replacing what it recorded before) and saves at once.</summary>
    public void Write<T>(T outputs)
        where T : IStepOutputs => Write(T.Step, outputs);

    public void Write<T>(string step, T outputs)
    {
        var node = JsonSerializer.SerializeToNode(outputs, StepOutputsJson.Options)?.AsObject()
                   ?? throw new ArgumentNullException(nameof(outputs));
        Mask(node);
        Update(step, s => s.Outputs = node);
    }

    /// <summary>Changes what a step recorded (starting from an empty record) and saves at once; returns the new record.</summary>
    public T Update<T>(Func<T, T> change)
        where T : class, IStepOutputs, new() => Update(T.Step, change);

    public T Update<T>(string step, Func<T, T> change)
        where T : class, new()
    {
        lock (_gate)
        {
            var outputs = change(Read<T>(step) ?? new T());
            Write(step, outputs);
            return outputs;
        }
    }

    /// <summary>Records a timed part of a step; a part of the same name is replaced (a resumed run redoes it).</summary>
    public void RecordPart(string step, string part, DateTimeOffset startedAt, DateTimeOffset finishedAt, string status) => Update(step, s =>
    {
        s.Parts.RemoveAll(p => p.Name == part);
        s.Parts.Add(new StepPart { Name = _mask(part), StartedAt = startedAt, FinishedAt = finishedAt, Status = status });
    });

    /// <summary>What <paramref name="step"/> recorded, typed; null when it recorded nothing.</summary>
    public T? Read<T>(string step)
        where T : class
    {
        lock (_gate)
        {
            return Data.Read<T>(step);
        }
    }

    public T? Read<T>()
        where T : class, IStepOutputs => Read<T>(T.Step);

    /// <summary>When this attempt of the run began: the last --resume, or the run's start.</summary>
    public DateTimeOffset AttemptStartedAt => Data.ResumedAt.Count > 0 ? Data.ResumedAt[^1] : Data.StartedAt;

    /// <summary>The clock the journal dates its records with.</summary>
    public TimeProvider Time => _time;

    public void MarkResumed()
    {
        lock (_gate)
        {
            Data.ResumedAt.Add(_time.GetUtcNow());
            Data.Status = RunStatus.Running;
            Data.FinishedAt = null;
            Data.Error = null;
            Save();
        }
    }

    public void Finish(bool succeeded, string? error)
    {
        lock (_gate)
        {
            Data.Status = succeeded ? RunStatus.Succeeded : RunStatus.Failed;
            Data.FinishedAt = _time.GetUtcNow();
            Data.Error = error is null ? null : _mask(error);
            foreach (var step in Data.Steps.Values.Where(s => s.Status == StepStatus.Running))
            {
                step.Status = StepStatus.Failed;
                step.FinishedAt = Data.FinishedAt;
                step.Error ??= "interrupted";
            }

            Save();
        }
    }

    private void Mask(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        obj[key] = _mask(value.GetValue<string>());
                    }
                    else
                    {
                        Mask(obj[key]);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        array[i] = _mask(value.GetValue<string>());
                    }
                    else
                    {
                        Mask(array[i]);
                    }
                }

                break;
        }
    }

    private void Update(string name, Action<StepRecord> change)
    {
        lock (_gate)
        {
            change(Step(name));
            Save();
        }
    }

    private void Save()
    {
        lock (_gate)
        {
            AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(Data, Json));
        }
    }
}
