using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FlySim.Native;
using FlySim.State;

namespace FlySim.Supervisor;

/// <summary>The CLI's side of the supervisor: finds it (starting it detached when needed) and sends it requests.</summary>
internal sealed class SupervisorClient
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly int _port;

    private SupervisorClient(int port, int pid)
    {
        _port = port;
        Pid = pid;
    }

    public int Pid { get; }

    /// <summary>The running supervisor, or null; never starts one (read-only commands must not).</summary>
    public static async Task<SupervisorClient?> FindAsync(StateStore store, CancellationToken cancellationToken)
    {
        var info = store.ReadSupervisor();
        if (info is null || !Posix.IsAlive(info.Pid))
        {
            return null;
        }

        var client = new SupervisorClient(info.Port, info.Pid);
        try
        {
            var reply = await client.SendAsync(new ControlRequest { Op = Ops.Ping }, TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            return reply.Pid == info.Pid ? client : null;
        }
        catch (FlyException)
        {
            return null;
        }
    }

    public static async Task<SupervisorClient> EnsureAsync(StateStore store, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, cancellationToken).ConfigureAwait(false) is { } running)
        {
            return running;
        }

        using var _ = await FileLock.AcquireAsync(store.SupervisorLockPath, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (await FindAsync(store, cancellationToken).ConfigureAwait(false) is { } started)
        {
            return started;
        }

        File.Delete(store.SupervisorPath);
        StartDetached(store);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            if (await FindAsync(store, cancellationToken).ConfigureAwait(false) is { } client)
            {
                return client;
            }
        }

        throw new FlyException($"the simulator's supervisor did not start; see {store.SupervisorLogPath}");
    }

    /// <summary>
    /// Starts <c>sim supervise</c> in a new session (setsid) with its output in supervisor.log, so that it
    /// neither dies with the caller's process group nor holds the caller's stdout pipe open.
    /// </summary>
    private static void StartDetached(StateStore store)
    {
        var host = Environment.ProcessPath ?? throw new FlyException("cannot locate the simulator executable");
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" </dev/null >>\"$FLYSIM_SUPERVISOR_LOG\" 2>&1");
        info.ArgumentList.Add("flysim-supervisor");
        info.ArgumentList.Add(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Run through the dotnet host: the simulator's assembly sits beside the host's runtime config.
            // (Compiled ahead of time, the host is the simulator itself and takes no assembly.)
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlySim.dll"));
        }

        info.ArgumentList.Add("sim");
        info.ArgumentList.Add("supervise");
        info.Environment[StateStore.StateDirVariable] = store.Root;
        info.Environment["FLYSIM_SUPERVISOR_LOG"] = store.SupervisorLogPath;
        info.Environment["FLYSIM_ROLE"] = "supervisor";
        using var process = Process.Start(info) ?? throw new FlyException("could not start the simulator's supervisor");
        process.WaitForExit();
    }

    public Task<ControlResponse> SendAsync(ControlRequest request, CancellationToken cancellationToken) =>
        SendAsync(request, TimeSpan.FromSeconds(120), cancellationToken);

    public async Task<ControlResponse> SendAsync(ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linked.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, _port, linked.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            var payload = JsonSerializer.Serialize(request, ProtocolJson.Default.ControlRequest) + "\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(payload), linked.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = await reader.ReadLineAsync(linked.Token).ConfigureAwait(false)
                ?? throw new FlyException("the simulator's supervisor closed the connection");
            var response = JsonSerializer.Deserialize(line, ProtocolJson.Default.ControlResponse)
                ?? throw new FlyException("the simulator's supervisor sent an empty reply");
            if (!response.Ok)
            {
                throw new FlyException(response.Error ?? "the simulator's supervisor refused the request");
            }

            return response;
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException)
        {
            throw new FlyException($"cannot reach the simulator's supervisor: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FlyException("the simulator's supervisor did not answer in time");
        }
    }

    public async Task<List<InstanceStatus>> StatusAsync(IEnumerable<string> instanceIds, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(new ControlRequest { Op = Ops.Status, InstanceIds = [.. instanceIds] }, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return reply.Instances ?? [];
    }

    /// <summary>Asks the supervisor to stop and waits for it to be gone.</summary>
    public async Task DownAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(new ControlRequest { Op = Ops.Down }, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (FlyException)
        {
            Posix.Kill(Pid, Posix.SIGTERM);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (Posix.IsAlive(Pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (Posix.IsAlive(Pid))
        {
            Posix.Kill(Pid, Posix.SIGKILL);
        }
    }
}
