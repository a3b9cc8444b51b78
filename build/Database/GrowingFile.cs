namespace DeployBuild.Database;

/// <summary>
/// Copies a file that another process is still writing, as it grows, until that process is done
/// and every byte is copied: the read-back of a dump starts with the dump instead of after it.
/// A program that writes its file front to back and only rewrites bytes already copied (pg_dump's
/// custom format rewrites its table of contents with the data offsets at the end) yields the stream
/// it would have written to a pipe.
/// </summary>
public static class GrowingFile
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(15);

    /// <param name="path">The file being written (it may not exist yet).</param>
    /// <param name="writerDone">Completes when the writer has exited, successfully or not.</param>
    public static Func<Stream, CancellationToken, Task> Follow(string path, Task writerDone) => async (destination, cancellationToken) =>
    {
        while (!File.Exists(path))
        {
            if (writerDone.IsCompleted)
            {
                return;
            }

            await Task.WhenAny(writerDone, Task.Delay(Poll, cancellationToken));
        }

        await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var finished = writerDone.IsCompleted;
            var read = await source.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            else if (finished)
            {
                // The writer was done before this read found nothing more: the copy is whole.
                return;
            }
            else
            {
                await Task.WhenAny(writerDone, Task.Delay(Poll, cancellationToken));
            }
        }
    };
}
