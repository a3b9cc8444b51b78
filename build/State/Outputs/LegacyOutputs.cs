using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace DeployBuild.State;

/// <summary>
/// Reads the outputs of a version-1 journal (every value a string, "none" for nothing, "true" and
/// "false", Validate's and Verify's checks flattened to "check.&lt;name&gt;" keys) into today's
/// records, so that <c>--resume</c>, Rollback, status and history keep working on older runs.
/// </summary>
internal static partial class LegacyOutputs
{
    private const string None = "none";

    private static readonly JsonSerializerOptions Lenient = new(StepOutputsJson.Options)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Converters = { new WordBoolean() },
    };

    public static JsonObject? Upgrade(string step, JsonObject? outputs)
    {
        if (outputs is null || outputs.Count == 0)
        {
            return null;
        }

        var old = outputs.ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == JsonValueKind.String ? p.Value.GetValue<string>() : p.Value?.ToJsonString() ?? None, StringComparer.Ordinal);
        return step switch
        {
            "Backup" => Typed<BackupOutputs>(Backup(old)),
            "Migrate" => Typed<MigrateOutputs>(Flat(old)),
            "Release" => Typed<ReleaseOutputs>(Release(old)),
            "Validate" => Typed<ValidateOutputs>(Checks(old, validate: true)),
            "Verify" => Typed<VerifyOutputs>(Checks(old, validate: false)),
            "Rollback" or "AutoRollback" => Typed<RollbackOutputs>(Flat(old)),
            "Hooks" => Typed<HookOutputs>(Hooks(old)),
            "Diagnostics" => Typed<DiagnosticsOutputs>(Flat(old)),
            "Plan" => Typed<PlanOutputs>(Flat(old)),
            "Secrets" => Typed<SecretsOutputs>(Secrets(old)),
            "Tag" => Typed<TagOutputs>(Flat(old)),
            _ => outputs,
        };
    }

    private static JsonObject Typed<T>(JsonObject old) =>
        JsonSerializer.SerializeToNode(old.Deserialize<T>(Lenient), StepOutputsJson.Options)!.AsObject();

    /// <summary>Same keys, without the "none" placeholders; numbers and booleans are read from their text.</summary>
    private static JsonObject Flat(IReadOnlyDictionary<string, string> old)
    {
        var flat = new JsonObject();
        foreach (var (key, value) in old.Where(p => p.Value != None))
        {
            flat[key] = value;
        }

        return flat;
    }

    private static JsonObject Backup(IReadOnlyDictionary<string, string> old)
    {
        var backup = Flat(old);
        if (old.TryGetValue("rows", out var rows))
        {
            // "public.foods=3, public.users=2"
            var counts = new JsonObject();
            foreach (var pair in rows.Split(", ", StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.LastIndexOf('=');
                if (equals > 0 && long.TryParse(pair[(equals + 1)..], CultureInfo.InvariantCulture, out var count))
                {
                    counts[pair[..equals]] = count;
                }
            }

            backup["rows"] = counts;
        }

        return backup;
    }

    private static JsonObject Release(IReadOnlyDictionary<string, string> old)
    {
        var release = Flat(old);
        release.Remove("machines");

        // "2/3 on the new release, 1 healthy, 1 stopped by auto-stop"
        if (old.TryGetValue("machines", out var machines) && MachinesText().Match(machines) is { Success: true } m)
        {
            release["machines_on_new_release"] = m.Groups["on"].Value;
            release["machines"] = m.Groups["all"].Value;
            release["machines_healthy"] = m.Groups["healthy"].Value;
        }

        return release;
    }

    /// <summary>"check.&lt;name&gt;" = "pass: summary", with Validate's "check.&lt;name&gt;.seconds" or Verify's "&lt;name in snake_case&gt;.&lt;figure&gt;".</summary>
    private static JsonObject Checks(IReadOnlyDictionary<string, string> old, bool validate)
    {
        var checks = new JsonArray();
        var names = old.Keys.Where(k => k.StartsWith("check.", StringComparison.Ordinal) && !(validate && k.EndsWith(".seconds", StringComparison.Ordinal)))
            .Select(k => k["check.".Length..]);
        foreach (var name in names)
        {
            var text = old[$"check.{name}"];
            var colon = text.IndexOf(": ", StringComparison.Ordinal);
            var check = new JsonObject
            {
                ["name"] = name,
                ["result"] = colon < 0 ? text : text[..colon],
                ["summary"] = colon < 0 ? string.Empty : text[(colon + 2)..],
            };
            if (validate && old.TryGetValue($"check.{name}.seconds", out var seconds))
            {
                check["seconds"] = seconds;
            }

            if (!validate)
            {
                var prefix = name.ToLowerInvariant().Replace(' ', '_') + ".";
                var figures = new JsonObject();
                foreach (var (key, value) in old.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    var figure = key[prefix.Length..];
                    if (figure == "samples_ms")
                    {
                        check["samples_ms"] = new JsonArray(value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => (JsonNode)v).ToArray());
                    }
                    else
                    {
                        figures[figure] = value;
                    }
                }

                if (figures.Count > 0)
                {
                    check["figures"] = figures;
                }
            }

            checks.Add(check);
        }

        var result = new JsonObject { ["checks"] = checks };
        if (old.TryGetValue("checks.wall_seconds", out var wall))
        {
            result["wall_seconds"] = wall;
        }

        return result;
    }

    private static JsonObject Hooks(IReadOnlyDictionary<string, string> old)
    {
        var results = new JsonObject();
        foreach (var (point, value) in old.Where(p => p.Value != None))
        {
            results[point] = value;
        }

        return new JsonObject { ["results"] = results, ["pre_deploy_passed"] = old.ContainsKey("pre-deploy") };
    }

    private static JsonObject Secrets(IReadOnlyDictionary<string, string> old)
    {
        var secrets = new JsonObject();
        foreach (var (key, value) in old)
        {
            secrets[key] = new JsonArray((value == None ? [] : value.Split(", ", StringSplitOptions.RemoveEmptyEntries)).Select(v => (JsonNode)v).ToArray());
        }

        return secrets;
    }

    [GeneratedRegex(@"^(?<on>\d+)/(?<all>\d+) on the new release, (?<healthy>\d+) healthy")]
    private static partial Regex MachinesText();

    /// <summary>Version 1 wrote booleans as "true"/"false" (and the plan's as "yes"/"no").</summary>
    private sealed class WordBoolean : JsonConverter<bool>
    {
        public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String => reader.GetString() switch
            {
                "true" or "yes" => true,
                "false" or "no" => false,
                var other => throw new JsonException($"'{other}' is not a yes/no value."),
            },
            _ => throw new JsonException($"Expected a boolean, found {reader.TokenType}."),
        };

        public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
    }
}
