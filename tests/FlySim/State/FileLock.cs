namespace FlySim.State;

/// <summary>
/// An exclusive advisory lock on a file, shared by every process using the same state folder.
/// .NET maps <see cref="FileShare.None"/> to flock(2) on Unix, so a process that dies releases it.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static FileLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            return new FileLock(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var acquired = TryAcquire(path);
            if (acquired is not null)
            {
                return acquired;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FlyException($"timed out waiting for the simulator lock {path}");
            }

            await Task.Delay(15, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records who holds a lease beside the lock, for the message a second holder gets.</summary>
    /// <remarks>Not inside the lock file: opening a flock-held file for reading fails under .NET.</remarks>
    public static void WriteOwner(string lockPath, string text) => File.WriteAllText(lockPath + ".owner", text);

    public static string ReadOwner(string lockPath)
    {
        try
        {
            return File.ReadAllText(lockPath + ".owner").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose() => _stream.Dispose();
}
