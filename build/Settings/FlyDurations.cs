using System.Globalization;
using System.Text;

namespace DeployBuild.Settings;

/// <summary>What flyctl makes of a bare number (no unit) in a fly.toml duration; it depends on where the key sits.</summary>
public enum FlyBareNumber
{
    /// <summary>
    /// fly-go's Duration reads a number as nanoseconds: [[http_service.checks]], [deploy] wait_timeout and
    /// release_command_timeout (fly-go duration.go ParseDuration; flyctl patches none of them).
    /// </summary>
    Nanoseconds,

    /// <summary>flyctl turns a number into milliseconds first under [[services.*_checks]] and [checks.*] (appconfig patches.go _patchCheck).</summary>
    Milliseconds,

    /// <summary>flyctl turns a number into seconds first for the top-level kill_timeout (appconfig patches.go patchTopFields).</summary>
    Seconds,
}

/// <summary>One fly.toml duration as flyctl reads it, in nanoseconds like Go's time.Duration.</summary>
/// <param name="Nanoseconds">The value; null when flyctl treats the key as unset.</param>
/// <param name="BareNumber">Written as a number without unit.</param>
/// <param name="Error">Why flyctl cannot read it; null when it can.</param>
public sealed record FlyDuration(long? Nanoseconds, bool BareNumber, string? Error)
{
    public TimeSpan? TimeSpan => Nanoseconds is { } ns ? System.TimeSpan.FromTicks(ns / 100) : null;
}

/// <summary>
/// Durations the way flyctl reads fly.toml: Go's time.ParseDuration for strings, and for bare numbers the
/// unit of the section (<see cref="FlyBareNumber"/>). Kept in nanoseconds so "10 µs" is not rounded to zero.
/// </summary>
public static class FlyDurations
{
    private const long Nanosecond = 1;
    private const long Microsecond = 1000 * Nanosecond;
    private const long Millisecond = 1000 * Microsecond;
    private const long Second = 1000 * Millisecond;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;

    /// <summary>What flyctl gets from this TOML value.</summary>
    public static FlyDuration Read(TomlNode node, FlyBareNumber bare)
    {
        switch (node)
        {
            case TomlScalar { Value: string text }:
                // flyctl drops an empty string before parsing when it patches the section; fly-go alone refuses it.
                if (text.Length == 0 && bare != FlyBareNumber.Nanoseconds)
                {
                    return new FlyDuration(null, false, null);
                }

                return TryParseGo(text, out var parsed, out var error)
                    ? new FlyDuration(parsed, false, null)
                    : new FlyDuration(null, false, error);
            case TomlScalar { Value: long count }:
                return Scaled(count, bare);
            case TomlScalar { Value: double number } when double.IsFinite(number) && Math.Abs(number) < long.MaxValue:
                // Go converts the float to an integer first (truncating), then applies the section's unit.
                return Scaled((long)Math.Truncate(number), bare);
            default:
                return new FlyDuration(null, false, $"{node.Kind} is not a duration");
        }
    }

    private static FlyDuration Scaled(long count, FlyBareNumber bare)
    {
        var unit = bare switch
        {
            FlyBareNumber.Milliseconds => Millisecond,
            FlyBareNumber.Seconds => Second,
            _ => Nanosecond,
        };
        try
        {
            return new FlyDuration(checked(count * unit), true, null);
        }
        catch (OverflowException)
        {
            return new FlyDuration(null, true, $"{count} is out of range for a duration");
        }
    }

    /// <summary>Go's time.ParseDuration: "300ms", "-1.5h", "2h45m"; units ns, us (µs, μs), ms, s, m, h; "0" is the only number without unit.</summary>
    public static bool TryParseGo(string text, out long nanoseconds, out string? error)
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
            error = null;
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
            var fraction = string.Empty;
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
                "ns" => Nanosecond,
                "us" or "\u00b5s" or "\u03bcs" => Microsecond,
                "ms" => Millisecond,
                "s" => Second,
                "m" => Minute,
                "h" => Hour,
                _ => null,
            };
            if (unit is null)
            {
                error = $"time: unknown unit \"{unitText}\" in duration \"{text}\"";
                return false;
            }

            var number = decimal.Parse((whole.Length == 0 ? "0" : whole) + (fraction.Length == 0 ? string.Empty : "." + fraction[..Math.Min(fraction.Length, 20)]), CultureInfo.InvariantCulture);
            total += decimal.Truncate(number * unit.Value);
            if (total > long.MaxValue)
            {
                return false;
            }

            s = s[i..];
        }

        nanoseconds = (long)(negative ? -total : total);
        error = null;
        return true;
    }

    /// <summary>For people: "10 µs", "2 ns", "300 ms", "5 min 0 s".</summary>
    public static string Human(long nanoseconds)
    {
        if (Math.Abs(nanoseconds) < Microsecond)
        {
            return $"{nanoseconds} ns";
        }

        if (Math.Abs(nanoseconds) < Millisecond)
        {
            return $"{(nanoseconds / (double)Microsecond).ToString("0.###", CultureInfo.InvariantCulture)} µs";
        }

        if (Math.Abs(nanoseconds) < Second)
        {
            return $"{(nanoseconds / (double)Millisecond).ToString("0.###", CultureInfo.InvariantCulture)} ms";
        }

        return Durations.Human(System.TimeSpan.FromTicks(nanoseconds / 100));
    }

    /// <summary>A Go duration string for a fix: "10s", "1m30s", "500ms".</summary>
    public static string Go(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        if (nanoseconds % Second != 0 || nanoseconds < Second)
        {
            return nanoseconds % Millisecond == 0 ? $"{nanoseconds / Millisecond}ms"
                : nanoseconds % Microsecond == 0 ? $"{nanoseconds / Microsecond}us"
                : $"{nanoseconds}ns";
        }

        var builder = new StringBuilder();
        var seconds = nanoseconds / Second;
        if (seconds >= 3600)
        {
            builder.Append(seconds / 3600).Append('h');
            seconds %= 3600;
        }

        if (seconds >= 60 || builder.Length > 0)
        {
            builder.Append(seconds / 60).Append('m');
            seconds %= 60;
        }

        builder.Append(seconds).Append('s');
        return builder.ToString();
    }
}
