using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
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
