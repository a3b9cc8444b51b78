using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Cli;

/// <summary>What ./build.sh does before the build runs: where it keeps the compiled build, and how it compiles it.</summary>
public sealed class BootstrapperTests
{
    private static readonly string[] Extras = ["global.json", "Directory.Build.props", "Directory.Packages.props", "NuGet.config", "nuget.config"];

    [Fact]
    public async Task The_build_it_runs_is_kept_under_the_sources_stamp_and_compiled_ahead_of_time()
    {
        var result = await BuildRunner.RunAsync(["--version"]);
        Assert.True(result.ExitCode == 0, result.ToString());

        var folder = Repo.Path(".build-cache", "bin-r2r-" + SourcesStamp()[..20]);
        var assembly = Path.Combine(folder, "Build.dll");
        Assert.True(File.Exists(Path.Combine(folder, ".complete")) && File.Exists(assembly),
            $"no complete build in {folder}, the folder named after the sources' stamp as build.sh computes it\n{result}");

        // ReadyToRun: the image carries native code beside the IL (the READYTORUN header), so a run
        // starts with less JIT work. A plain 'dotnet build' leaves this directory empty.
        using var reader = new PEReader(File.OpenRead(assembly));
        var header = reader.PEHeaders.CorHeader ?? throw new InvalidOperationException($"{assembly} is not a .NET assembly");
        Assert.True(header.ManagedNativeHeaderDirectory.Size > 0,
            $"{assembly} was compiled without ReadyToRun (see .build-cache/compile-readytorun.log)\n{result}");
    }

    /// <summary>
    /// The two ways a compile can go wrong, run through each bootstrapper with a stand-in dotnet first on
    /// PATH (the real one would take a minute to compile): the ReadyToRun publish fails (no crossgen
    /// package), so the plain build is used and the run says so; or the plain build fails too, so the
    /// run stops with the compiler's output and leaves no build behind.
    /// </summary>
    [Theory]
    [InlineData("build.sh", false)]
    [InlineData("build.sh", true)]
    [InlineData("build.ps1", false)]
    [InlineData("build.ps1", true)]
    public async Task A_failed_ReadyToRun_publish_falls_back_to_the_plain_build_and_says_so(string script, bool buildFailsToo)
    {
        using var dir = new TempDir("bootstrapper");
        File.Copy(Repo.Path(script), dir.File(script));
        dir.Write(Path.Combine("build", "Build.csproj"), "<Project />\n");
        dir.Write(Path.Combine(".config", "dotnet-tools.json"), File.ReadAllText(Repo.Path(".config", "dotnet-tools.json")));
        var fake = dir.Write(Path.Combine("fake", "dotnet"), """
            #!/usr/bin/env bash
            case "$1" in
              publish) echo "error NETSDK1094: Unable to optimize assemblies for performance (stand-in)"; exit 1 ;;
              build)
                if [ "$BUILD_FAILS" = 1 ]; then echo "Program.cs(1,1): error CS1002: ; expected (stand-in)"; exit 1; fi
                while [ $# -gt 0 ]; do if [ "$1" = -o ]; then mkdir -p "$2"; : >"$2/Build.dll"; fi; shift; done ;;
              *) echo "ran $*" ;;
            esac
            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = Path.GetDirectoryName(fake) + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["BUILD_FAILS"] = buildFailsToo ? "1" : "0",
        };

        // build.ps1 runs in PowerShell, started by the real dotnet (its tool manifest is in the folder).
        var result = script == "build.sh"
            ? await ProcessRunner.RunAsync("bash", [dir.File(script), "--tree"], dir.Path, environment, TimeSpan.FromMinutes(2))
            : await ProcessRunner.RunAsync(RealDotnet(), ["pwsh", "-NoProfile", "-File", dir.File(script), "--tree"], dir.Path, environment, TimeSpan.FromMinutes(2));

        var cache = dir.File(".build-cache");
        Assert.Contains("NETSDK1094", File.ReadAllText(Path.Combine(cache, "compile-readytorun.log")));
        var builds = Directory.GetDirectories(cache, "bin-r2r-*");
        if (buildFailsToo)
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("error CS1002", result.Stderr);
            Assert.Contains("Error: the build project does not compile", result.Stderr);
            Assert.Empty(builds);
            Assert.DoesNotContain("ran ", result.Stdout);
        }
        else
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("Compiled without ReadyToRun", result.Stderr);
            Assert.Contains("compile-readytorun.log", result.Stderr);
            var build = Assert.Single(builds);
            Assert.True(File.Exists(Path.Combine(build, ".complete")), result.ToString());
            Assert.Contains($"ran {Path.Combine(build, "Build.dll")} --tree", result.Stdout);
        }
    }

    private static string RealDotnet() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, "dotnet"))
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("dotnet is not on PATH");

    /// <summary>build.sh's stamp: "&lt;sha256&gt;  &lt;path&gt;" for every build source, paths sorted bytewise, then hashed.</summary>
    private static string SourcesStamp()
    {
        var root = Repo.Root;
        var sources = Directory.GetFiles(Path.Combine(root, "build"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith("build/bin/", StringComparison.Ordinal) && !p.StartsWith("build/obj/", StringComparison.Ordinal) && !p.Contains("/node_modules/", StringComparison.Ordinal))
            .Where(p => !new FileInfo(Path.Combine(root, p)).Attributes.HasFlag(FileAttributes.ReparsePoint))
            .Concat(Extras.Where(e => File.Exists(Path.Combine(root, e))))
            .Order(StringComparer.Ordinal);
        var listing = new StringBuilder();
        foreach (var path in sources)
        {
            using var stream = File.OpenRead(Path.Combine(root, path));
            listing.Append(Convert.ToHexStringLower(SHA256.HashData(stream))).Append("  ").Append(path).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }
}
