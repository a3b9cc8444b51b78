using Tomlyn.Model;
using Tomlyn.Serialization;

namespace FlySim.Config;

/// <summary>
/// Tomlyn's source-generated metadata for the one shape the simulator reads (a document as a
/// <see cref="TomlTable"/>): no reflection, so the simulator compiles ahead of time.
/// </summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlContext : TomlSerializerContext;
