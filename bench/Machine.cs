using System.Globalization;
using System.Runtime.InteropServices;
using DeployBuild.Bench.Measuring;

namespace DeployBuild.Bench;

/// <summary>The machine a report was measured on, printed under the figures.</summary>
public static class Machine
{
    /// <summary>Variables that change how <c>dotnet run</c> builds (build servers, node reuse).</summary>
    private static readonly string[] BuildVariables =
        ["MSBUILDDISABLENODEREUSE", "DOTNET_CLI_USE_MSBUILD_SERVER", "UseSharedCompilation", "DOTNET_TieredPGO", "DOTNET_TieredCompilation"];

    /// <summary>The load average when the bench started: other work on the machine skews every figure.</summary>
    public static string LoadAtStart { get; } = LoadAverage();

    public static string LoadAverage() => File.Exists("/proc/loadavg")
        ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
        : "unknown";

    public static async Task<string> DescribeAsync(string repoRoot)
    {
        var sdk = await FirstLineAsync("dotnet", ["--version"], repoRoot);
        var commit = await FirstLineAsync("git", ["rev-parse", "--short", "HEAD"], repoRoot);
        var dirty = await FirstLineAsync("git", ["status", "--porcelain", "--", "build", "tests/TestBed", "tests/FlySim", "build.sh"], repoRoot);
        var postgres = await FirstLineAsync("pg_dump", ["--version"], repoRoot);
        var python = await FirstLineAsync("python3", ["--version"], repoRoot);
        var variables = BuildVariables
            .Where(name => Environment.GetEnvironmentVariable(name) is not null)
            .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}")
            .ToList();

        var table = new MarkdownTable("Machine", "")
            .Row("CPU", CpuModel())
            .Row("Cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture))
            .Row("RAM", MemTotal())
            .Row("OS", $"{OsName()}, kernel {ReadOrUnknown("/proc/sys/kernel/osrelease")}")
            .Row(".NET", $"{RuntimeInformation.FrameworkDescription} (SDK {sdk})")
            .Row("PostgreSQL, Python", $"{postgres}; {python}")
            .Row("Load average (1, 5, 15 min)", $"{LoadAtStart} at the start, {LoadAverage()} at the end")
            .Row("Build variables", variables.Count == 0 ? "none set" : string.Join(", ", variables))
            .Row("Repository", commit + (string.IsNullOrWhiteSpace(dirty) ? string.Empty : " (build/ or the test bed had uncommitted changes)"))
            .Row("Date", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
        return table.ToString();
    }

    private static string CpuModel()
    {
        foreach (var line in ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("model name", StringComparison.Ordinal))
            {
                return line.Split(':', 2)[1].Trim();
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string MemTotal()
    {
        foreach (var line in ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                var kib = long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return (kib / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
            }
        }

        return "unknown";
    }

    private static string OsName()
    {
        foreach (var line in ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return RuntimeInformation.OSDescription;
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];

    private static string ReadOrUnknown(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";

    private static async Task<string> FirstLineAsync(string program, string[] arguments, string directory)
    {
        try
        {
            var run = await CommandRunner.RunAsync(new Command(program, program, arguments, directory) { Timeout = TimeSpan.FromSeconds(30) });
            return run.ExitCode == 0 ? (run.Stdout.Split('\n').FirstOrDefault() ?? string.Empty).Trim() : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not installed";
        }
    }
}
