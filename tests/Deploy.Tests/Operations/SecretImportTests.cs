using System.Security.Cryptography;
using System.Text;
using DeployBuild.Fly;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Operations;

/// <summary>
/// The build's <c>flyctl secrets import</c> lines against flyctl's parser semantics: every line it
/// writes is read back by the simulator's port of parser.go as the exact value, and every value it
/// cannot carry is refused by name, never shown.
/// </summary>
public sealed class SecretImportTests
{
    private const string App = "nasty-secrets";
    private const string Marker = "S3KR1T";

    /// <summary>Values flyctl secrets import can carry exactly, and the build must send.</summary>
    public static readonly string[] Carried =
    [
        "",
        "plain",
        "  leading and trailing spaces  ",
        "\ttab\t",
        "\"",
        "'",
        "\"\"",
        "\"\"\"",
        "\"\"\"\"\"\"",
        "\"quoted\"",
        "'single'",
        "a\"b",
        "x # not a comment",
        "x#y",
        "\"a\"b#c\"",
        "a\"b#c",
        "a\"b\"c\"#d",
        "'a # b'",
        "#starts with a hash",
        "key=value=more",
        "=",
        "ends with a backslash \\",
        "unicode: é ü ß 日本語 🔑",
        "lone carriage return\rinside",
        "ends with a carriage return\r",
        "\"\"\"x\"\"\"",
        "-----BEGIN KEY-----\nbWFkZS11cC1rZXk=\n-----END KEY-----",
        "multi\nline # with a hash\n# and a comment-looking line\n\n  indented\nlast\"",
        "\nstarts with a newline",
        "ends with a newline\n",
        "two\n\nblank lines\n\n",
        "a\"\"\"b\nc",
        "first\nends with quotes \"\"",
        "first\nlast line ends with triple \"\"\"",
        "first\nlast\r",
        "\"\nquote then newline",
        new string('x', 60_000),
    ];

    /// <summary>Values it cannot carry exactly: CRLF, a line closing a multi-line value early, a mangled first line, 64 KiB lines.</summary>
    public static readonly string[] Refused =
    [
        $"{Marker}-crlf\r\nsecond line",
        $"{Marker}\nmiddle line ends with \"\"\"\nlast",
        $"{Marker}-first line ends with \"\"\"\nsecond",
        $"{Marker} \"odd # quotes before a hash\nsecond",
        Marker + new string('y', 70_000),
    ];

    [Fact]
    public async Task Every_line_the_build_writes_is_read_back_exactly_by_flyctls_parser_or_the_value_is_refused_by_name()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Carried.Length; i++)
        {
            values[$"CARRIED_{i}"] = Carried[i];
        }

        var random = new Random(20261130);
        string[] pieces = ["\"", "'", "#", " ", "\t", "=", "\"\"\"", "\n", "\r\n", "\r", "é", "🔑", "a", "Z", "\\", "$", "`"];
        for (var i = 0; i < 400; i++)
        {
            values[$"RANDOM_{i}"] = string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
        }

        var stdin = new StringBuilder();
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (SecretImport.TryLine(name, value, App, out var problem) is { } line)
            {
                stdin.Append(line).Append('\n');
                sent[name] = value;
            }
            else
            {
                Assert.StartsWith(name + ": ", problem);
                Assert.True(value.Contains("\r\n", StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal),
                    $"{name}: a single-line value must always be carried, but was refused: {problem}");
            }
        }

        // Every hand-picked value is carried (random ones may be refused only when they hold a line break, above).
        Assert.All(Carried.Select((_, i) => $"CARRIED_{i}"), name => Assert.Contains(name, sent.Keys));
        Assert.True(sent.Count > 300, $"only {sent.Count} of {values.Count} values carried");

        await using var fly = new FlySimulator();
        await fly.CreateAppAsync(App, new Dictionary<string, string>());
        await fly.SucceedWithInputAsync(stdin.ToString(), "secrets", "import", "-a", App, "--stage");
        var stored = (await fly.JsonAsync("secrets", "list", "--json", "-a", App)).AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string)s!["digest"]!, StringComparer.Ordinal);

        Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        Assert.All(sent, s => Assert.True(SecretDigest.Matches(s.Value, stored[s.Key]), $"{s.Key}: flyctl's parser read back another value"));

        // The build's own port agrees with the simulator's on the whole stream.
        var parsed = SecretImport.Parse(stdin.ToString());
        Assert.NotNull(parsed);
        Assert.Equal(sent.OrderBy(p => p.Key, StringComparer.Ordinal), parsed.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void A_value_flyctl_import_cannot_carry_is_refused_by_name_with_a_real_fix_and_never_shown()
    {
        for (var i = 0; i < Refused.Length; i++)
        {
            var name = $"REFUSED_{i}";
            Assert.Null(SecretImport.TryLine(name, Refused[i], App, out var problem));
            Assert.NotNull(problem);
            Assert.StartsWith(name + ": ", problem);
            Assert.DoesNotContain(Marker, problem);
        }

        SecretImport.TryLine("PEM", $"{Marker}\r\nline", App, out var crlf);
        Assert.Contains("CRLF", crlf);
        Assert.Contains($"printenv PEM | flyctl secrets set PEM=- -a {App}", crlf);

        // Leading whitespace: flyctl secrets set NAME=- would trim it, so that is not offered.
        SecretImport.TryLine("PEM", $"  {Marker}\r\nline", App, out var trimmed);
        Assert.DoesNotContain("printenv", trimmed);
        Assert.Contains("change the value", trimmed);

        SecretImport.TryLine("BIG", Refused[^1], App, out var big);
        Assert.Contains("65535 bytes per line", big);
    }

    [Theory]
    [InlineData("")]
    [InlineData("#NAME")]
    [InlineData("A=B")]
    [InlineData("WITH SPACE")]
    public void A_name_flyctl_import_cannot_carry_is_refused(string name)
    {
        Assert.Null(SecretImport.TryLine(name, "value", App, out var problem));
        Assert.Contains("cannot carry this name", problem);
    }

    [Fact]
    public void The_ports_parser_mangles_what_flyctl_mangles()
    {
        // A line of the old encoder: """a"b#c""" is cut at '#' and swallows what follows.
        Assert.Empty(SecretImport.Parse("A=\"\"\"a\"b#c\"\"\"\nB=next\n")!);
        Assert.Null(SecretImport.Parse("A='\n")); // flyctl panics
        Assert.Null(SecretImport.Parse("no equals\n")); // flyctl fails
        Assert.Equal("x\ny", SecretImport.Parse("A=\"\"\"x\r\ny\"\"\"\r\n")!["A"]);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("x"))), SecretDigest.Of("x"));
    }
}
