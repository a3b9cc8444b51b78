using System.Globalization;

namespace DeployBuild.Bench;

/// <summary>Median, min and max of one measure over a figure's runs.</summary>
public sealed record Summary(double Median, double Min, double Max, int Count)
{
    public static Summary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no values to summarise", nameof(values));
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Summary(median, sorted[0], sorted[^1], sorted.Length);
    }
}

/// <summary>How figures print numbers: invariant culture, units spelled out.</summary>
public static class Format
{
    public const double BytesPerMegabyte = 1_000_000;

    public static string Seconds(double seconds) => seconds switch
    {
        < 1 => seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s",
        < 10 => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
        _ => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
    };

    /// <summary>Megabytes of 10^6 bytes, the unit of every size and rate the bench prints.</summary>
    public static string Megabytes(double bytes) => (bytes / BytesPerMegabyte).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public static string MegabytesPerSecond(double bytesPerSecond) =>
        (bytesPerSecond / BytesPerMegabyte).ToString("0.0", CultureInfo.InvariantCulture) + " MB/s";

    public static string Ratio(double ratio) => ratio.ToString(ratio < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "x";

    public static string Number(double value, string format = "0.###") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>One cell per statistic: median, min, max.</summary>
    public static string[] Cells(Summary summary, Func<double, string> format) =>
        [format(summary.Median), format(summary.Min), format(summary.Max)];

    public static string Code(string text) => "`" + text.Replace("`", "'", StringComparison.Ordinal) + "`";
}
