using DeployBuild.Database;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Database;

/// <summary>The read-back's source: a file copied while its writer is still writing it.</summary>
public sealed class GrowingFileTests
{
    [Fact]
    public async Task Copies_every_byte_written_in_bursts_and_ends_only_when_the_writer_is_done()
    {
        using var dir = new TempDir("growing");
        var path = dir.File("archive.partial");
        var written = new MemoryStream();
        var release = new SemaphoreSlim(0);
        var writer = Task.Run(async () =>
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            for (var burst = 0; burst < 40; burst++)
            {
                var bytes = Enumerable.Range(0, 4096 + burst * 331).Select(i => (byte)(i * 7 + burst)).ToArray();
                await file.WriteAsync(bytes);
                await file.FlushAsync();
                written.Write(bytes);
                if (burst == 20)
                {
                    // A pause longer than the follower's poll: it must wait, not stop.
                    await release.WaitAsync();
                }
            }
        });
        var copy = new MemoryStream();

        var follow = GrowingFile.Follow(path, writer)(copy, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(follow.IsCompleted);
        release.Release();
        await writer;
        await follow.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(written.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task Bytes_rewritten_after_they_were_copied_keep_their_first_value_as_a_pipe_would()
    {
        using var dir = new TempDir("growing");
        var path = dir.File("archive.partial");
        var headerCopied = new TaskCompletionSource();
        var copy = new MemoryStream();
        var writer = Task.Run(async () =>
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            await file.WriteAsync("HEADER-unset|"u8.ToArray());
            await file.FlushAsync();
            await headerCopied.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await file.WriteAsync("data"u8.ToArray());
            file.Position = 0;
            await file.WriteAsync("HEADER-set!!|"u8.ToArray());
        });
        var watcher = Task.Run(async () =>
        {
            while (copy.Length < 13)
            {
                await Task.Delay(5);
            }

            headerCopied.SetResult();
        });

        await GrowingFile.Follow(path, writer)(new SynchronizedStream(copy), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await watcher;

        Assert.Equal("HEADER-unset|data", System.Text.Encoding.ASCII.GetString(copy.ToArray()));
        Assert.Equal("HEADER-set!!|data", File.ReadAllText(path));
    }

    [Fact]
    public async Task A_writer_that_fails_before_creating_the_file_ends_the_copy_empty()
    {
        using var dir = new TempDir("growing");
        var writer = Task.Run(async () =>
        {
            await Task.Delay(50);
            throw new InvalidOperationException("pg_dump could not connect");
        });
        var copy = new MemoryStream();

        await GrowingFile.Follow(dir.File("never.partial"), writer)(copy, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, copy.Length);
    }

    /// <summary>A MemoryStream whose length another task may read while it is written.</summary>
    private sealed class SynchronizedStream(MemoryStream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (inner)
            {
                inner.Write(buffer, offset, count);
            }
        }
    }
}
