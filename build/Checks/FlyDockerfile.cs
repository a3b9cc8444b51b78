using DeployBuild.Settings;

namespace DeployBuild.Checks;

/// <summary>The Dockerfile flyctl will build for this deploy, or why Validate cannot check one.</summary>
/// <param name="Path">Absolute path of the local file to check; null when there is none to check.</param>
/// <param name="Display">How messages name it: relative to the backend, or to fly.toml's folder.</param>
/// <param name="Source">Where the choice comes from, for messages ("[build] dockerfile in backend-config/fly.toml").</param>
/// <param name="Problem">Set when Validate must not or cannot read the file: the finding to report instead.</param>
public sealed record DockerfileChoice(string? Path, string Display, string Source, Finding? Problem);

/// <summary>
/// flyctl's choice of Dockerfile for <c>fly deploy &lt;backend&gt; -c &lt;fly.toml&gt;</c> (internal/command/deploy/deploy_build.go):
/// [build] image means no build at all; [build] dockerfile is an http(s) URL, or a path joined to fly.toml's folder
/// (Go's filepath.Join, so even "/x" lands under that folder); without it flyctl takes Dockerfile, then dockerfile, in
/// the folder it deploys (imgsrc.ResolveDockerfile). The build never passes --dockerfile.
/// </summary>
public static class FlyDockerfile
{
    /// <param name="validateDockerfile">deploy.toml's validate.dockerfile, relative to the backend (default "Dockerfile").</param>
    public static DockerfileChoice Resolve(FlyConfig fly, string backendPath, string validateDockerfile)
    {
        var flyFolder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(fly.Path))!;
        var flyDisplayFolder = System.IO.Path.GetDirectoryName(fly.DisplayPath) ?? string.Empty;
        var backend = System.IO.Path.GetFullPath(backendPath);

        if (fly.Image is { Length: > 0 } image)
        {
            return new DockerfileChoice(null, image, $"[build] image in {fly.DisplayPath}",
                Finding.Info($"{fly.DisplayPath} sets [build] image = \"{image}\": flyctl deploys that image and builds no Dockerfile, so none is checked", fly.DisplayPath));
        }

        if (fly.Dockerfile is { Length: > 0 } written)
        {
            var source = $"[build] dockerfile = \"{Redacted(written)}\" in {fly.DisplayPath}";
            if (IsUrl(written))
            {
                return new DockerfileChoice(null, Redacted(written), source,
                    Finding.Info($"{source}: flyctl downloads the Dockerfile from that URL when it builds, so Validate cannot lint it or compare its port", fly.DisplayPath));
            }

            if (LooksLikeUrl(written))
            {
                return new DockerfileChoice(null, Redacted(written), source,
                    Finding.Fail($"{source} is not a valid http(s) URL: flyctl stops the deploy (\"invalid Dockerfile URL\")",
                        "write a full URL like https://example.com/Dockerfile, or a path relative to fly.toml's folder", fly.DisplayPath));
            }

            // Go's filepath.Join: an absolute path does not replace the folder, it is appended to it.
            var relative = written.Replace('\\', '/').TrimStart('/');
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(flyFolder, relative));
            var display = Display(path, backend, flyFolder, flyDisplayFolder);
            if (!Inside(path, backend) && !Inside(path, flyFolder))
            {
                // flyctl would build it, but the build only reads files of the deploy's own two folders.
                return new DockerfileChoice(null, display, source,
                    Finding.Fail($"{source} resolves to {path}, outside both the backend folder and fly.toml's folder: Validate does not read, lint or build files elsewhere",
                        $"keep the Dockerfile in the backend (from fly.toml's folder: dockerfile = \"{System.IO.Path.GetRelativePath(flyFolder, System.IO.Path.Combine(backend, "Dockerfile")).Replace('\\', '/')}\") or beside fly.toml",
                        fly.DisplayPath));
            }

            if (!File.Exists(path))
            {
                return new DockerfileChoice(null, display, source,
                    Finding.Fail($"{display} not found: flyctl builds {path} ({source}; paths there are relative to fly.toml's folder, not to the backend) and would fail with \"dockerfile not found\"",
                        $"fix [build] dockerfile in {fly.DisplayPath} (relative to its folder, e.g. \"{System.IO.Path.GetRelativePath(flyFolder, System.IO.Path.Combine(backend, "Dockerfile")).Replace('\\', '/')}\"), or add the file",
                        fly.DisplayPath));
            }

            return new DockerfileChoice(path, display, source, null);
        }

        // No [build] dockerfile: the folder flyctl deploys (the backend), Dockerfile then dockerfile.
        var found = new[] { "Dockerfile", "dockerfile" }.Select(name => System.IO.Path.Combine(backend, name)).FirstOrDefault(File.Exists);
        var validate = System.IO.Path.GetFullPath(validateDockerfile, backend);
        if (!string.Equals(validateDockerfile, "Dockerfile", StringComparison.Ordinal) && !string.Equals(validate, found, StringComparison.Ordinal))
        {
            var relativeToFly = System.IO.Path.GetRelativePath(flyFolder, validate).Replace('\\', '/');
            return new DockerfileChoice(null, validateDockerfile, "validate.dockerfile in deploy.toml",
                Finding.Fail(
                    $"validate.dockerfile is \"{validateDockerfile}\", but flyctl builds {(found is null ? "Dockerfile (or dockerfile) in the backend folder, which does not exist" : Display(found, backend, flyFolder, flyDisplayFolder))}: {fly.DisplayPath} has no [build] dockerfile and flyctl ignores deploy.toml",
                    $"set [build] dockerfile = \"{relativeToFly}\" in {fly.DisplayPath} (relative to its folder), or remove validate.dockerfile"));
        }

        if (found is null)
        {
            return new DockerfileChoice(null, "Dockerfile", "the backend folder",
                Finding.Fail($"no Dockerfile in the backend folder ({backend}): {fly.DisplayPath} has no [build] dockerfile, so flyctl looks for Dockerfile, then dockerfile, in the folder it deploys",
                    $"add the Dockerfile to the backend, or set [build] dockerfile in {fly.DisplayPath} (relative to its folder)"));
        }

        return new DockerfileChoice(found, Display(found, backend, flyFolder, flyDisplayFolder), "the backend folder (no [build] dockerfile in fly.toml)", null);
    }

    private static string Display(string path, string backend, string flyFolder, string flyDisplayFolder) =>
        Inside(path, backend)
            ? System.IO.Path.GetRelativePath(backend, path).Replace('\\', '/')
            : System.IO.Path.Combine(flyDisplayFolder, System.IO.Path.GetRelativePath(flyFolder, path)).Replace('\\', '/');

    private static bool Inside(string path, string folder) =>
        path.StartsWith(folder.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);

    // internal/dockerfileurl: an http(s) URL with a host is a URL; anything else starting with http: or https: is a bad one.
    private static bool IsUrl(string value) =>
        // Go's url.Parse gives a host only after "scheme://"; .NET's Uri would also read "https:/host" as one.
        value.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.Length > 0
        && (string.Equals(uri.Scheme, "http", StringComparison.OrdinalIgnoreCase) || string.Equals(uri.Scheme, "https", StringComparison.OrdinalIgnoreCase));

    private static bool LooksLikeUrl(string value)
    {
        var lower = value.Trim().ToLowerInvariant();
        return lower.StartsWith("http:", StringComparison.Ordinal) || lower.StartsWith("https:", StringComparison.Ordinal);
    }

    // A URL may carry a token (user info, query): never print it.
    private static string Redacted(string value)
    {
        if (!LooksLikeUrl(value))
        {
            return value;
        }

        return IsUrl(value) && Uri.TryCreate(value, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Authority.Split('@').Last()}{uri.AbsolutePath}"
            : "invalid URL";
    }
}
