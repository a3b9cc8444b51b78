namespace DeployBuild.Fly;

/// <summary>One machine's memory as Fly's metrics report it (the <c>fly_instance_memory_*</c> gauges).</summary>
public sealed record MachineMemory(string MachineId, string? Region, long TotalBytes, long AvailableBytes)
{
    private const double MiB = 1024 * 1024;

    public long UsedBytes => Math.Clamp(TotalBytes - AvailableBytes, 0, Math.Max(TotalBytes, 0));

    /// <summary>(total - available) / total, in percent.</summary>
    public double Percent => TotalBytes <= 0 ? 0 : 100.0 * UsedBytes / TotalBytes;

    public int TotalMb => (int)Math.Round(TotalBytes / MiB);

    public int UsedMb => (int)Math.Round(UsedBytes / MiB);
}
