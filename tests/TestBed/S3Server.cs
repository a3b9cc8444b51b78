using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
namespace DeployBuild.TestBed;

/// <summary>
/// One real S3-compatible server (npm s3rver, tests/tools/s3-server.js) on a loopback port for a
/// test class, with a key pair and two age key pairs generated here, never stored in the repo.
/// Each test uses its own key prefix; prefixes under corrupt/ and cut/ get the server's faults.
/// The tests' class fixture and the bench's remote-backup figure both start one.
/// </summary>
public class S3Server
{
    public const string Bucket = "deploy-backups";

    private readonly System.Text.StringBuilder _log = new();

    private System.Diagnostics.Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("deploy-testbed-s3-").FullName;

    public string AccessKeyId { get; } = "AK" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));

    public string SecretAccessKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public int Port { get; private set; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The identity file of the recipient deploy.toml names, and its public key.</summary>
    public string IdentityFile => Path.Combine(Directory, "keys", "backup-key.txt");

    public string Recipient { get; private set; } = string.Empty;

    /// <summary>Another age key pair: the wrong identity.</summary>
    public string WrongIdentityFile => Path.Combine(Directory, "keys", "wrong-key.txt");

    public string ObjectsDirectory => Path.Combine(Directory, "objects");

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "keys"));
        System.IO.Directory.CreateDirectory(ObjectsDirectory);
        Recipient = await KeygenAsync(IdentityFile);
        await KeygenAsync(WrongIdentityFile);

        // s3rver 3.7.1 encrypts its list continuation tokens with DES, which Node 17+ (OpenSSL 3)
        // offers only with the legacy provider: without it a truncated list is an InternalError.
        var start = new ProcessStartInfo("node", ["--openssl-legacy-provider", RepoPaths.Path("tests", "tools", "s3-server.js")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Path("tests", "tools"),
        };
        start.Environment["S3_BUCKET"] = Bucket;
        start.Environment["S3_ACCESS_KEY_ID"] = AccessKeyId;
        start.Environment["S3_SECRET_ACCESS_KEY"] = SecretAccessKey;
        start.Environment["S3_DIRECTORY"] = ObjectsDirectory;
        // Both pipes stay drained, so that the server never blocks on a full one; the first line gives the port.
        var listening = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new System.Diagnostics.Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("listening ", StringComparison.Ordinal))
            {
                listening.TrySetResult(line);
            }
            else
            {
                Record(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Exited += (_, _) => listening.TrySetResult(null);
        _process.EnableRaisingEvents = true;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var first = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        if (first is null)
        {
            throw new InvalidOperationException($"s3rver did not start (run ./prerequisites.sh to install tests/tools): {Log}");
        }

        Port = int.Parse(first["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The [backup.remote] table for a test's own prefix.</summary>
    public string RemoteToml(string prefix, string? extra = null, bool recipient = true) =>
        $"""

         [backup.remote]
         endpoint = "{Endpoint}"
         bucket = "{Bucket}"
         prefix = "{prefix}"
         region = "us-east-1"
         {(recipient ? $"recipient = \"{Recipient}\"" : string.Empty)}
         {extra}

         """;

    /// <summary>The build's environment for the store: the generated key pair.</summary>
    public void Credentials(DeployBed bed)
    {
        bed.Environment["AWS_ACCESS_KEY_ID"] = AccessKeyId;
        bed.Environment["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey;
    }

    /// <summary>The objects stored under a prefix, as the server keeps them on disk (key → bytes).</summary>
    public IReadOnlyDictionary<string, byte[]> Stored(string prefix)
    {
        var root = Path.Combine(ObjectsDirectory, Bucket);
        const string suffix = "._S3rver_object";
        return System.IO.Directory.Exists(Path.Combine(root, prefix))
            ? System.IO.Directory.GetFiles(Path.Combine(root, prefix), "*" + suffix, SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f)[..^suffix.Length].Replace('\\', '/'), File.ReadAllBytes)
            : new Dictionary<string, byte[]>();
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKeyId, SecretAccessKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>What the server printed after it started (its errors): shown by a failing test.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static async Task<string> KeygenAsync(string file)
    {
        var result = await ProcessRunner.RunAsync("age-keygen", ["-o", file], Path.GetDirectoryName(file)!);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"age-keygen failed (apt-get install age, or ./prerequisites.sh): {result}");
        }

        return File.ReadAllLines(file).First(l => l.StartsWith("# public key: ", StringComparison.Ordinal))["# public key: ".Length..];
    }
}
