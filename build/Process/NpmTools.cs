using Cake.Core;
using Cake.Npm;
using Cake.Npm.Install;

namespace DeployBuild.Process;

/// <summary>
/// The npm tools the build runs (squawk, dockerfilelint), pinned in build/tools/package.json and
/// installed there with Cake.Npm (npm install, following the lock) the first time they are needed.
/// </summary>
public sealed class NpmTools(ICakeContext cake, string directory)
{
    private readonly SemaphoreSlim _install = new(1, 1);

    public string Directory { get; } = directory;

    /// <summary>
    /// build/tools of the source tree the running build was compiled from (DEPLOY_TOOLS_DIR
    /// overrides it). Found by build/tools/package.json alone: the build keeps its tools without
    /// the repository's tests, demo or sample backend.
    /// </summary>
    public static string Locate() =>
        Environment.GetEnvironmentVariable("DEPLOY_TOOLS_DIR") is { Length: > 0 } overridden
            ? overridden
            : Locate(AppContext.BaseDirectory);

    /// <summary>The nearest build/tools holding package.json at or above <paramref name="start"/>.</summary>
    public static string Locate(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var tools = Path.Combine(dir.FullName, "build", "tools");
            if (File.Exists(Path.Combine(tools, "package.json")))
            {
                return tools;
            }
        }

        throw new ToolNotFoundException("squawk and dockerfilelint",
            $"The build's npm tools are pinned in build/tools/package.json, which was not found above {start}. " +
            "Run the build from its source tree (./build.sh), or set DEPLOY_TOOLS_DIR to a folder holding that package.json.");
    }

    /// <summary>The path of a tool's executable, installing the tools first when they are missing.</summary>
    public async Task<string> ResolveAsync(string tool)
    {
        var path = Executable(tool);
        if (File.Exists(path))
        {
            return path;
        }

        await _install.WaitAsync();
        try
        {
            if (!File.Exists(path))
            {
                if (!System.IO.Directory.Exists(Directory))
                {
                    throw new WorkingDirectoryNotFoundException("npm", Directory,
                        $"{tool} cannot be installed: the build's npm tools folder, {Directory}, does not exist. " +
                        "Unset DEPLOY_TOOLS_DIR, or point it to a folder holding the build's tools/package.json.");
                }

                if (CommandRunner.TryResolve("npm") is null)
                {
                    throw new ToolNotFoundException("npm", $"{ToolHints.For("npm")} The build needs it once, to install {tool}.");
                }

                cake.Log.Write(Cake.Core.Diagnostics.Verbosity.Normal, Cake.Core.Diagnostics.LogLevel.Information,
                    "Installing the build's npm tools in {0} (npm install)...", Directory);

                // Not npm ci: the lock cannot hold squawk's binaries for other platforms when the
                // registry serves only this one's, and npm ci refuses such a lock.
                cake.NpmInstall(new NpmInstallSettings
                {
                    WorkingDirectory = Directory,
                    ArgumentCustomization = arguments => arguments.Append("--no-save").Append("--no-audit").Append("--no-fund"),
                });
            }
        }
        finally
        {
            _install.Release();
        }

        return File.Exists(path)
            ? path
            : throw new ToolNotFoundException(tool, $"npm install in {Directory} did not install it. {ToolHints.For(tool)}");
    }

    private string Executable(string tool) =>
        Path.Combine(Directory, "node_modules", ".bin", OperatingSystem.IsWindows() ? tool + ".cmd" : tool);
}
