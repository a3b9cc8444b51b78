using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FlySim.Commands;

/// <summary>Identifiers shaped like Fly's, and free loopback ports.</summary>
internal static class Ids
{
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const string Alphanumeric = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>14 hex characters, like <c>148edd72c73768</c>.</summary>
    public static string Machine() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(7));

    /// <summary>A ULID, as Fly uses for machine instance ids and deployment labels.</summary>
    public static string Ulid()
    {
        var chars = new char[26];
        var time = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 9; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(time % 32)];
            time /= 32;
        }

        var random = RandomNumberGenerator.GetBytes(16);
        for (var i = 10; i < 26; i++)
        {
            chars[i] = Crockford[random[i - 10] % 32];
        }

        return new string(chars);
    }

    public static string Release() => new(Enumerable.Range(0, 12).Select(_ => Alphanumeric[RandomNumberGenerator.GetInt32(Alphanumeric.Length)]).ToArray());

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static readonly string[] Adjectives = ["autumn", "billowing", "bold", "crimson", "damp", "falling", "frosty", "green", "lingering", "misty", "muddy", "quiet", "rough", "silent", "snowy", "wild"];
    private static readonly string[] Nouns = ["bird", "breeze", "brook", "cloud", "dawn", "dew", "field", "fire", "flower", "forest", "lake", "meadow", "moon", "pine", "river", "sea", "sky", "star", "sun", "violet", "water", "wind"];

    /// <summary>Machine names in Fly's adjective-noun-number style.</summary>
    public static string MachineName() =>
        $"{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}-{Nouns[RandomNumberGenerator.GetInt32(Nouns.Length)]}-{RandomNumberGenerator.GetInt32(1000, 9999)}";
}
