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

    /// <summary>build/tools of the source tree the running build was compiled from.</summary>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable("DEPLOY_TOOLS_DIR") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        return Path.Combine(Demo.RepoLayout.Locate().Root, "build", "tools");
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
