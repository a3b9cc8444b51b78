namespace DeployBuild.HostAdditions;

/// <summary>
/// Not part of Cake.Frosting: every value registered here is replaced by <c>***</c> in the build
/// log, in exceptions the host prints and in any text passed through <see cref="Mask"/>.
/// </summary>
public sealed class SecretMasker
{
    public const string Mask = "***";

    // Shortest values are the riskiest to mask (they match inside ordinary words), so tiny ones are refused.
    private const int MinimumLength = 4;

    private readonly Lock _gate = new();
    private string[] _values = [];

    public IReadOnlyCollection<string> Values => _values;

    /// <summary>Registers a secret value; multi-line values are also masked line by line.</summary>
    public void Add(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var candidates = new List<string> { value, value.Trim() };
        candidates.AddRange(value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        lock (_gate)
        {
            _values = _values
                .Concat(candidates.Where(c => c.Length >= MinimumLength))
                .Distinct(StringComparer.Ordinal)
                .OrderByDescending(v => v.Length)
                .ToArray();
        }
    }

    public string Apply(string text)
    {
        var values = _values;
        if (values.Length == 0 || string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var value in values)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
