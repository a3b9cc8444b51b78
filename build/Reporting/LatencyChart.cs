using System.Globalization;
using System.Text;

namespace DeployBuild.Reporting;

/// <summary>Verify's latency samples as it measured them, with their p50, p95 and the threshold.</summary>
public sealed record LatencySamples(IReadOnlyList<double> Millis, double? P50Ms, double? P95Ms, double ThresholdMs);

/// <summary>
/// Verify's latency samples as a Mermaid <c>xychart-beta</c>: a bar per request in the order they
/// were made, and flat lines at p50, p95 and the threshold, with a sentence that names them
/// (xychart draws no legend).
/// </summary>
public static class LatencyChart
{
    public static string Mermaid(LatencySamples samples)
    {
        var values = samples.Millis;
        var top = Math.Max(values.Count == 0 ? 0 : values.Max(), samples.ThresholdMs) * 1.1;
        top = Math.Max(10, Math.Ceiling(top / 10) * 10);
        var text = new StringBuilder();
        text.AppendLine("```mermaid");
        text.AppendLine("xychart-beta");
        text.AppendLine(CultureInfo.InvariantCulture, $"    title \"Latency of {values.Count} request{(values.Count == 1 ? "" : "s")}, in order (ms)\"");
        text.AppendLine("    x-axis \"request\" [" + string.Join(", ", Enumerable.Range(1, values.Count)) + "]");
        text.AppendLine(CultureInfo.InvariantCulture, $"    y-axis \"ms\" 0 --> {top:0}");
        text.AppendLine("    bar [" + Series(values) + "]");
        foreach (var level in new[] { samples.P50Ms, samples.P95Ms, samples.ThresholdMs })
        {
            if (level is { } value)
            {
                text.AppendLine("    line [" + Series(Enumerable.Repeat(value, values.Count)) + "]");
            }
        }

        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Bars: each request's time. Lines: p50 {Ms(samples.P50Ms)}, p95 {Ms(samples.P95Ms)}, threshold {Ms(samples.ThresholdMs)} (p95 over it fails Verify).");
        return text.ToString();
    }

    private static string Series(IEnumerable<double> values) =>
        string.Join(", ", values.Select(v => v.ToString("0.#", CultureInfo.InvariantCulture)));

    private static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + " ms" : "–";
}
