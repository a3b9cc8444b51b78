using System.Security.Cryptography;
using System.Text;
using FlySim.State;

namespace FlySim.Images;

/// <summary>
/// The simulated registry: an "image" is a content-addressed snapshot of the deploy's working directory
/// plus its Dockerfile, stored under <c>images/&lt;sha256&gt;/rootfs</c> and reachable by one or more refs.
/// </summary>
internal sealed class ImageStore(StateStore store)
{
    public const string Registry = "registry.fly.io";

    private static readonly HashSet<string> SkippedNames = new(StringComparer.Ordinal)
    {
        ".git", "__pycache__", "node_modules", ".venv", ".pytest_cache",
    };

    private string TagsPath => Path.Combine(store.ImagesDir, "tags.json");

    public string RootFs(string imageId) => Path.Combine(store.ImagesDir, imageId, "rootfs");

    private string MetaPath(string imageId) => Path.Combine(store.ImagesDir, imageId, "image.json");

    public ImageRecord? Get(string imageId) => StateStore.Read(MetaPath(imageId), StateJson.Default.ImageRecord);

    /// <summary>Finds a stored image by ref, accepting what users pass to <c>--image</c>.</summary>
    public ImageRecord? Resolve(string reference)
    {
        var tags = StateStore.Read(TagsPath, StateJson.Default.DictionaryStringString) ?? [];
        var candidates = new List<string> { reference };
        var at = reference.IndexOf("@sha256:", StringComparison.Ordinal);
        if (at > 0)
        {
            candidates.Add(reference[..at]);
            var digestId = reference[(at + "@sha256:".Length)..];
            if (Get(digestId) is { } byDigest)
            {
                return byDigest;
            }
        }

        if (!reference.StartsWith(Registry + "/", StringComparison.Ordinal))
        {
            candidates.Add($"{Registry}/{reference}");
        }

        foreach (var candidate in candidates)
        {
            if (tags.TryGetValue(candidate, out var id) && Get(id) is { } image)
            {
                return image;
            }
        }

        return null;
    }

    /// <summary>Snapshots <paramref name="workDir"/> and tags the result with <paramref name="reference"/>.</summary>
    public async Task<ImageRecord> BuildAsync(string app, string workDir, string dockerfileText, string reference, CancellationToken cancellationToken)
    {
        // Copy first and hash the copy: the digest then describes exactly what was stored, even if the
        // working directory changes (files appearing or vanishing) while the snapshot is taken.
        var staging = Path.Combine(store.ImagesDir, $".staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var rootFs = Path.Combine(staging, "rootfs");
        Directory.CreateDirectory(rootFs);
        var copied = new List<string>();
        long size = 0;
        try
        {
            foreach (var relative in CollectFiles(workDir))
            {
                var source = Path.Combine(workDir, relative);
                var target = Path.Combine(rootFs, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    File.Copy(source, target);
                    File.SetUnixFileMode(target, File.GetUnixFileMode(source));
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue;
                }

                size += new FileInfo(target).Length;
                copied.Add(relative);
            }

            var digest = await ComputeDigestAsync(rootFs, copied, dockerfileText, cancellationToken).ConfigureAwait(false);
            using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                var existing = Get(digest);
                if (existing is null)
                {
                    existing = new ImageRecord
                    {
                        Id = digest,
                        Digest = "sha256:" + digest,
                        App = app,
                        Size = size,
                        CreatedAt = DateTimeOffset.UtcNow,
                        DockerfileText = dockerfileText,
                    };
                    StateStore.Write(Path.Combine(staging, "image.json"), existing, StateJson.Default.ImageRecord);
                    var final = Path.Combine(store.ImagesDir, digest);
                    if (Directory.Exists(final))
                    {
                        Directory.Delete(final, recursive: true);
                    }

                    Directory.Move(staging, final);
                }

                if (!existing.Refs.Contains(reference))
                {
                    existing = existing with { Refs = [.. existing.Refs, reference] };
                    StateStore.Write(MetaPath(digest), existing, StateJson.Default.ImageRecord);
                }

                var tags = StateStore.Read(TagsPath, StateJson.Default.DictionaryStringString) ?? [];
                tags[reference] = digest;
                StateStore.Write(TagsPath, tags, StateJson.Default.DictionaryStringString);
                return existing;
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Drops an app's repository, as destroying a Fly app does; caller holds the state lock.</summary>
    public void DeleteForApp(string app)
    {
        var tags = StateStore.Read(TagsPath, StateJson.Default.DictionaryStringString) ?? [];
        var prefix = $"{Registry}/{app}:";
        var removed = tags.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var (reference, _) in removed)
        {
            tags.Remove(reference);
        }

        StateStore.Write(TagsPath, tags, StateJson.Default.DictionaryStringString);
        foreach (var id in removed.Select(r => r.Value).Distinct())
        {
            if (!tags.ContainsValue(id))
            {
                try
                {
                    Directory.Delete(Path.Combine(store.ImagesDir, id), recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    internal static List<string> CollectFiles(string workDir)
    {
        var ignore = DockerIgnore.Load(workDir);
        var result = new List<string>();
        var pending = new Stack<string>();
        pending.Push(workDir);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (SkippedNames.Contains(entry.Name))
                {
                    continue;
                }

                var relative = Path.GetRelativePath(workDir, entry.FullName);
                if (ignore.IsIgnored(relative))
                {
                    continue;
                }

                if (entry is DirectoryInfo directory)
                {
                    if (directory.LinkTarget is null)
                    {
                        pending.Push(directory.FullName);
                    }
                }
                else if (entry is FileInfo file && file.Exists)
                {
                    result.Add(relative);
                }
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private static async Task<string> ComputeDigestAsync(string workDir, List<string> files, string dockerfileText, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("Dockerfile\0" + dockerfileText + "\0"));
        var buffer = new byte[81920];
        foreach (var relative in files)
        {
            var path = Path.Combine(workDir, relative);
            hash.AppendData(Encoding.UTF8.GetBytes($"{relative}\0{(int)File.GetUnixFileMode(path)}\0"));
            await using var stream = File.OpenRead(path);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }

            hash.AppendData([0]);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
