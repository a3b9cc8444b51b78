using System.Globalization;

namespace FlySim.Config;

/// <summary>Go's time.ParseDuration syntax ("1m30s", "500ms"), which flyctl flags and fly.toml use.</summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        var ok = TryParseNanoseconds(text, out var nanoseconds, out _);
        value = ok ? TimeSpan.FromTicks(nanoseconds / 100) : TimeSpan.Zero;
        return ok;
    }

    /// <summary>
    /// Go's time.ParseDuration, to the nanosecond: an optional sign, then number+unit pairs ("1h30m", "1.5s", ".5s");
    /// units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h; "0" is the only number allowed without a unit.
    /// </summary>
    public static bool TryParseNanoseconds(string text, out long nanoseconds, out string error)
    {
        nanoseconds = 0;
        error = $"time: invalid duration \"{text}\"";
        var s = text;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s == "0")
        {
            error = "";
            return true;
        }

        if (s.Length == 0)
        {
            return false;
        }

        decimal total = 0;
        while (s.Length > 0)
        {
            var i = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            var whole = s[..i];
            var fraction = "";
            if (i < s.Length && s[i] == '.')
            {
                var start = ++i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }

                fraction = s[start..i];
            }

            if (whole.Length == 0 && fraction.Length == 0)
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            var unitText = s[unitStart..i];
            if (unitText.Length == 0)
            {
                error = $"time: missing unit in duration \"{text}\"";
                return false;
            }

            long? unit = unitText switch
            {
                "ns" => 1,
                "us" or "\u00b5s" or "\u03bcs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => null,
            };
            if (unit is null)
            {
                error = $"time: unknown unit \"{unitText}\" in duration \"{text}\"";
                return false;
            }

            var number = decimal.Parse((whole.Length == 0 ? "0" : whole) + (fraction.Length == 0 ? "" : "." + fraction[..Math.Min(fraction.Length, 20)]), CultureInfo.InvariantCulture);
            total += decimal.Truncate(number * unit.Value);
            if (total > long.MaxValue)
            {
                return false;
            }

            s = s[i..];
        }

        nanoseconds = (long)(negative ? -total : total);
        error = "";
        return true;
    }

    /// <summary>Go's time.Duration.String(): "10µs", "1.5s", "1m30s", "2h0m0s", "0s".</summary>
    public static string FormatGo(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        var sign = nanoseconds < 0 ? "-" : "";
        var u = (ulong)Math.Abs(nanoseconds);
        if (u < 1_000_000_000)
        {
            return u < 1_000 ? $"{sign}{u}ns"
                : u < 1_000_000 ? $"{sign}{Fixed(u, 3)}\u00b5s"
                : $"{sign}{Fixed(u, 6)}ms";
        }

        var seconds = Fixed(u % 60_000_000_000, 9) + "s";
        var minutes = u / 60_000_000_000;
        if (minutes == 0)
        {
            return sign + seconds;
        }

        var hours = minutes / 60;
        return hours == 0 ? $"{sign}{minutes}m{seconds}" : $"{sign}{hours}h{minutes % 60}m{seconds}";
    }

    // value / 10^digits, with the fraction's trailing zeros (and a bare '.') dropped, as Go's fmtFrac does.
    private static string Fixed(ulong value, int digits)
    {
        var scale = (ulong)Math.Pow(10, digits);
        var fraction = (value % scale).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return (value / scale).ToString(CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "");
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
