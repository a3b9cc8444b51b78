// The simulator runs machines as host processes in their own sessions and scans /proc: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
