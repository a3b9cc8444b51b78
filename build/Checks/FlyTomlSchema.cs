using DeployBuild.Settings;

namespace DeployBuild.Checks;

/// <summary>How a key's value is laid out in fly.toml.</summary>
internal enum FlyTomlShape
{
    /// <summary>A scalar or an array of scalars.</summary>
    Value,

    /// <summary>One table (<c>[x]</c> or an inline table).</summary>
    Table,

    /// <summary>An array of tables (<c>[[x]]</c>).</summary>
    Tables,

    /// <summary>A table whose keys are the user's own (env names, header names, process names).</summary>
    FreeTable,

    /// <summary>A table of named tables (<c>[checks.&lt;name&gt;]</c>).</summary>
    NamedTables,
}

/// <param name="SingleTableAccepted">
/// flyctl rewrites a single table into a one-item array for some sections (services, ports, service checks,
/// mounts, vm, metrics) before reading them; everywhere else a table where an array belongs is a read error.
/// </param>
/// <param name="StringAccepted">flyctl also converts a string written here (services.concurrency = "soft,hard").</param>
internal sealed record FlyTomlField(FlyTomlShape Shape, FlyTomlSection? Section = null, bool SingleTableAccepted = false, bool StringAccepted = false);

/// <summary>The keys one fly.toml table may hold, plus hints for keys people write that Fly does not read.</summary>
internal sealed record FlyTomlSection(IReadOnlyDictionary<string, FlyTomlField> Fields, IReadOnlyDictionary<string, string>? Hints = null);

/// <summary>
/// The fly.toml keys Fly reads, taken from flyctl's <c>internal/appconfig</c> structs, the fly-go types they embed
/// and https://fly.io/docs/reference/configuration/. Fly ignores keys it does not know, so a misspelt key
/// silently does nothing: <see cref="FindUnknownKeys"/> points them out.
/// </summary>
internal static class FlyTomlSchema
{
    private static readonly FlyTomlField Value = new(FlyTomlShape.Value);
    private static readonly FlyTomlField Free = new(FlyTomlShape.FreeTable);

    private static FlyTomlField Table(FlyTomlSection section) => new(FlyTomlShape.Table, section);

    private static FlyTomlField Tables(FlyTomlSection section, bool singleAccepted = false) => new(FlyTomlShape.Tables, section, singleAccepted);

    private static FlyTomlSection Section(IEnumerable<string> values, IReadOnlyDictionary<string, FlyTomlField>? nested = null, IReadOnlyDictionary<string, string>? hints = null)
    {
        var fields = new Dictionary<string, FlyTomlField>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            fields[value] = Value;
        }

        foreach (var (key, field) in nested ?? new Dictionary<string, FlyTomlField>())
        {
            fields[key] = field;
        }

        return new FlyTomlSection(fields, hints);
    }

    private static readonly string[] CheckTiming = ["interval", "timeout", "grace_period"];

    private static readonly string[] HttpCheckFields = ["method", "path", "protocol", "tls_skip_verify", "tls_server_name"];

    // restart_limit was only honoured by V1 (Nomad) apps; Machines never read it.
    private static readonly Dictionary<string, string> ServiceCheckHints = new(StringComparer.Ordinal)
    {
        ["restart_limit"] = "restart_limit only applied to V1 (Nomad) apps; Machines ignore it: remove it",
    };

    private static readonly FlyTomlSection HttpCheck = Section(
        [.. CheckTiming, .. HttpCheckFields],
        new Dictionary<string, FlyTomlField> { ["headers"] = Free },
        ServiceCheckHints);

    private static readonly FlyTomlSection TcpCheck = Section(CheckTiming, hints: ServiceCheckHints);

    // appconfig toplevelcheck.go ToplevelCheck: fly-go's MachineCheck has a kind, but fly.toml's check does not pass one on.
    private static readonly FlyTomlSection TopLevelCheck = Section(
        ["port", "type", "processes", .. CheckTiming, .. HttpCheckFields],
        new Dictionary<string, FlyTomlField> { ["headers"] = Free },
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kind"] = "flyctl's [checks.<name>] has no kind (appconfig toplevelcheck.go), so it never reaches the machine: remove it",
        });

    private static readonly FlyTomlSection MachineCheck = Section(["command", "image", "entrypoint", "kill_signal", "kill_timeout"]);

    private static readonly FlyTomlSection Concurrency = Section(["type", "hard_limit", "soft_limit"]);

    private static readonly FlyTomlSection TlsOptions = Section(["alpn", "versions", "default_self_signed"]);

    private static readonly FlyTomlSection HttpOptions = Section(
        ["compress", "h2_backend", "idle_timeout", "headers_read_timeout"],
        new Dictionary<string, FlyTomlField>
        {
            ["response"] = Table(Section(["pristine"], new Dictionary<string, FlyTomlField> { ["headers"] = Free })),
            ["replay_cache"] = Tables(Section(["path_prefix", "ttl_seconds", "type", "name", "allow_bypass"])),
        });

    private static readonly FlyTomlSection Port = Section(
        ["port", "start_port", "end_port", "handlers", "force_https"],
        new Dictionary<string, FlyTomlField>
        {
            ["tls_options"] = Table(TlsOptions),
            ["http_options"] = Table(HttpOptions),
            ["proxy_proto_options"] = Table(Section(["version"])),
        });

    private static readonly string[] Autoscaling = ["auto_stop_machines", "auto_start_machines", "min_machines_running"];

    internal static readonly FlyTomlSection HttpService = Section(
        ["internal_port", "force_https", "processes", .. Autoscaling],
        new Dictionary<string, FlyTomlField>
        {
            ["concurrency"] = Table(Concurrency),
            ["tls_options"] = Table(TlsOptions),
            ["http_options"] = Table(HttpOptions),
            ["checks"] = Tables(HttpCheck),
            ["machine_checks"] = Tables(MachineCheck),
        },
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["http_checks"] = "[http_service] takes its health checks under [[http_service.checks]]",
            ["tcp_checks"] = "[http_service] only takes HTTP checks ([[http_service.checks]]); put a TCP check in a top-level [checks.<name>] with type = \"tcp\"",
            ["ports"] = "[http_service] always listens on 80 and 443; use [[services]] for other ports",
            ["protocol"] = "[http_service] is always TCP with HTTP handlers; use [[services]] to choose a protocol",
        });

    internal static readonly FlyTomlSection Service = Section(
        ["protocol", "internal_port", "processes", .. Autoscaling],
        new Dictionary<string, FlyTomlField>
        {
            ["ports"] = Tables(Port, singleAccepted: true),
            // flyctl also converts the old concurrency = "soft,hard" string (patches.go _patchService); the validator checks its form.
            ["concurrency"] = new FlyTomlField(FlyTomlShape.Table, Concurrency, StringAccepted: true),
            ["tcp_checks"] = Tables(TcpCheck, singleAccepted: true),
            ["http_checks"] = Tables(HttpCheck, singleAccepted: true),
            ["machine_checks"] = Tables(MachineCheck),
        },
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["checks"] = "[[services]] entries take [[services.http_checks]] or [[services.tcp_checks]]",
            ["script_checks"] = "script_checks only ran on V1 (Nomad) apps; Machines ignore them: use [[services.http_checks]] or [[services.machine_checks]]",
            ["force_https"] = "force_https belongs to a [[services.ports]] entry",
        });

    private static readonly FlyTomlSection Compute = Section(
        ["size", "memory", "memory_mb", "max_memory_mb", "cpu_kind", "cpus", "gpus", "gpu_kind", "host_dedication_id", "kernel_args", "persist_rootfs", "processes"]);

    private static readonly FlyTomlSection Root = Section(
        ["app", "primary_region", "kill_signal", "kill_timeout", "swap_size_mb", "console_command", "host_dedication_id", "machine_config", "container"],
        new Dictionary<string, FlyTomlField>
        {
            ["experimental"] = Table(Section(
                ["cmd", "entrypoint", "exec", "auto_rollback", "enable_consul", "enable_etcd", "lazy_load_images", "machine_config",
                 // Older spellings flyctl still moves to their current place.
                 "kill_timeout", "metrics_port", "metrics_path"],
                new Dictionary<string, FlyTomlField>
                {
                    ["attached"] = Table(Section([], new Dictionary<string, FlyTomlField> { ["secrets"] = Table(Section([], new Dictionary<string, FlyTomlField> { ["export"] = Free })) })),
                },
                new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["use_zstd"] = "flyctl does not read [experimental] use_zstd (appconfig config.go Experimental): did you mean compression = \"zstd\" in [build]?",
                })),
            ["build"] = Table(Section(
                ["builder", "buildpacks", "image", "builtin", "dockerfile", "ignorefile", "build-target", "build_target", "compression", "compression_level"],
                new Dictionary<string, FlyTomlField> { ["args"] = Free, ["settings"] = Free, ["compose"] = Table(Section(["file"])) })),
            ["deploy"] = Table(Section(
                ["strategy", "max_unavailable", "wait_timeout", "release_command", "release_command_timeout", "seed_command"],
                new Dictionary<string, FlyTomlField> { ["release_command_vm"] = Table(Compute) })),
            ["env"] = Free,
            ["processes"] = Free,
            ["mounts"] = Tables(MountSection(), singleAccepted: true),
            ["mount"] = Tables(MountSection(), singleAccepted: true),
            ["http_service"] = Table(HttpService),
            ["services"] = Tables(Service, singleAccepted: true),
            ["checks"] = new FlyTomlField(FlyTomlShape.NamedTables, TopLevelCheck),
            ["files"] = Tables(Section(["guest_path", "local_path", "secret_name", "raw_value", "processes"])),
            ["machine_checks"] = Tables(MachineCheck),
            ["restart"] = Tables(Section(["policy", "retries", "processes"])),
            ["vm"] = Tables(Compute, singleAccepted: true),
            ["compute"] = Tables(Compute, singleAccepted: true),
            ["computes"] = Tables(Compute, singleAccepted: true),
            ["statics"] = Tables(Section(["guest_path", "url_prefix", "tigris_bucket", "index_document"])),
            ["metrics"] = Tables(Section(["port", "path", "https", "processes"]), singleAccepted: true),
            ["metric"] = Tables(Section(["port", "path", "https", "processes"]), singleAccepted: true),
        },
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["http_checks"] = "health checks live under [[http_service.checks]], [[services.http_checks]] or a top-level [checks.<name>]",
            ["tcp_checks"] = "TCP checks live under [[services.tcp_checks]] or a top-level [checks.<name>] with type = \"tcp\"",
            ["internal_port"] = "internal_port belongs to [http_service] or a [[services]] entry",
            ["strategy"] = "strategy belongs to the [deploy] section",
            ["release_command"] = "release_command belongs to the [deploy] section",
            ["memory"] = "memory belongs to a [[vm]] section",
            ["size"] = "size belongs to a [[vm]] section",
        });

    private static FlyTomlSection MountSection() => Section(
        ["source", "destination", "initial_size", "snapshot_retention", "scheduled_snapshots", "auto_extend_size_threshold",
         "auto_extend_size_increment", "auto_extend_size_limit", "processes"]);

    /// <summary>Every key Fly would ignore and every section written in a shape flyctl cannot read.</summary>
    public static IEnumerable<Finding> FindUnknownKeys(TomlMap document) => Walk(document, Root, string.Empty);

    private static IEnumerable<Finding> Walk(TomlMap map, FlyTomlSection section, string path)
    {
        foreach (var (key, keyPosition, value) in map.Entries)
        {
            var qualified = path.Length == 0 ? key : $"{path}.{key}";
            if (!section.Fields.TryGetValue(key, out var field))
            {
                yield return Unknown(key, qualified, keyPosition, section, path);
                continue;
            }

            foreach (var finding in WalkField(field, value, qualified, keyPosition))
            {
                yield return finding;
            }
        }
    }

    private static IEnumerable<Finding> WalkField(FlyTomlField field, TomlNode value, string qualified, ConfigPosition keyPosition)
    {
        switch (field.Shape)
        {
            case FlyTomlShape.Value:
                yield break;
            case FlyTomlShape.FreeTable:
                // flyctl also merges older list forms ([[env]], [[processes]] with name/command) into a table.
                if (value is TomlScalar)
                {
                    yield return WrongShape(value.Position, $"'{qualified}' is {value.Kind}; flyctl expects a table of names and values here and rejects the file", $"write it as a [{qualified}] section of name = value lines");
                }

                yield break;
            case FlyTomlShape.Table when value is TomlMap table:
                foreach (var finding in Walk(table, field.Section!, qualified))
                {
                    yield return finding;
                }

                yield break;
            case FlyTomlShape.Table when value is TomlScalar { Value: string } && field.StringAccepted:
                yield break;
            case FlyTomlShape.Table when value is TomlList:
                yield return WrongShape(keyPosition, $"[[{qualified}]] is an array of tables; flyctl expects one table here and rejects the file",
                    $"write [{qualified}] (single brackets)");
                yield break;
            case FlyTomlShape.Tables when value is TomlList list:
                foreach (var item in list.Items)
                {
                    if (item is TomlMap entry)
                    {
                        foreach (var finding in Walk(entry, field.Section!, qualified))
                        {
                            yield return finding;
                        }
                    }
                    else
                    {
                        yield return WrongShape(item.Position, $"'{qualified}' holds {item.Kind}; flyctl expects tables here and rejects the file", $"write each entry as a [[{qualified}]] section");
                    }
                }

                yield break;
            case FlyTomlShape.Tables when value is TomlMap single:
                if (!field.SingleTableAccepted)
                {
                    yield return WrongShape(keyPosition, $"[{qualified}] is a single table; flyctl expects an array of tables here and rejects the file",
                        $"write [[{qualified}]] (double brackets)");
                }

                foreach (var finding in Walk(single, field.Section!, qualified))
                {
                    yield return finding;
                }

                yield break;
            case FlyTomlShape.NamedTables when value is TomlMap named:
                foreach (var (name, _, check) in named.Entries)
                {
                    if (check is TomlMap checkTable)
                    {
                        foreach (var finding in Walk(checkTable, field.Section!, qualified))
                        {
                            yield return finding;
                        }
                    }
                    else
                    {
                        yield return WrongShape(check.Position, $"'{qualified}.{name}' is {check.Kind}; flyctl expects each check as a named table and rejects the file",
                            $"write it as a [{qualified}.{name}] section with port, type, interval, timeout...");
                    }
                }

                yield break;
            case FlyTomlShape.NamedTables when value is TomlList legacy:
                // Older fly.toml files wrote [[checks]] with a name key; flyctl still converts them.
                foreach (var item in legacy.Items.OfType<TomlMap>())
                {
                    foreach (var finding in Walk(item, WithName(field.Section!), qualified))
                    {
                        yield return finding;
                    }
                }

                yield break;
            default:
                yield return WrongShape(value.Position, $"'{qualified}' is {value.Kind}; flyctl expects a table here and rejects the file",
                    $"write it as a [{qualified}] section");
                yield break;
        }
    }

    private static FlyTomlSection WithName(FlyTomlSection section)
    {
        var fields = new Dictionary<string, FlyTomlField>(section.Fields, StringComparer.Ordinal) { ["name"] = Value };
        return section with { Fields = fields };
    }

    private static Finding WrongShape(ConfigPosition position, string message, string fix) =>
        Finding.Fail(message, fix, position.ToString());

    private static Finding Unknown(string key, string qualified, ConfigPosition position, FlyTomlSection section, string path)
    {
        var where = path.Length == 0 ? "at the top level" : $"in [{path}]";
        var message = $"unknown key '{qualified}': Fly ignores keys it does not know, so this setting does nothing";
        if (section.Hints is not null && section.Hints.TryGetValue(key, out var hint))
        {
            return Finding.Warn(message, hint, position.ToString());
        }

        var guess = Suggest(key, section.Fields.Keys);
        var fix = guess is not null
            ? $"did you mean '{guess}'?"
            : $"keys Fly reads {where}: {string.Join(", ", section.Fields.Keys.Order(StringComparer.Ordinal))}";
        return Finding.Warn(message, fix, position.ToString());
    }

    /// <summary>The closest known key, when it is close enough to be a typo.</summary>
    internal static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(key, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // Short keys need a tighter bound or everything "looks like" everything.
        var limit = Math.Max(1, Math.Min(3, key.Length / 3));
        return best is not null && bestDistance <= limit ? best : null;
    }

    /// <summary>Optimal string alignment distance: a swap of two letters ("intrenal") counts as one edit.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
