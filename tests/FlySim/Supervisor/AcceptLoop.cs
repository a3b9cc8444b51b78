using System.Net.Sockets;

namespace FlySim.Supervisor;

/// <summary>Accepts connections until stopped and hands each to its own task, as the supervisor's listeners do.</summary>
internal static class AcceptLoop
{
    public static async Task RunAsync(TcpListener listener, Func<TcpClient, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = serve(client);
        }
    }
}
