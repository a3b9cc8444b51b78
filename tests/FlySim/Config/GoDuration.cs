using System.Globalization;

namespace FlySim.Config;

/// <summary>Go's time.ParseDuration syntax ("1m30s", "500ms"), which flyctl flags and fly.toml use.</summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s == "0")
        {
            return true;
        }

        double totalMs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            double? scale = s[unitStart..i] switch
            {
                "ns" => 1e-6,
                "us" or "µs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            totalMs += number * scale.Value;
        }

        value = TimeSpan.FromMilliseconds(negative ? -totalMs : totalMs);
        return true;
    }

    /// <summary>A flag value: a Go duration, or a bare number of seconds (what older flyctl accepted).</summary>
    public static TimeSpan ParseFlag(string flag, string text)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TryParse(text, out var value))
        {
            return value;
        }

        throw new FlyException($"invalid argument \"{text}\" for \"--{flag}\" flag: time: invalid duration \"{text}\"");
    }

    public static string Format(TimeSpan value)
    {
        if (value.TotalSeconds < 1)
        {
            return $"{value.TotalMilliseconds:0}ms";
        }

        var builder = new System.Text.StringBuilder();
        if (value.Hours > 0 || value.Days > 0)
        {
            builder.Append((int)value.TotalHours).Append('h');
        }

        if (value.Minutes > 0 || builder.Length > 0)
        {
            builder.Append(value.Minutes).Append('m');
        }

        builder.Append(value.Seconds).Append('s');
        return builder.ToString();
    }
}
