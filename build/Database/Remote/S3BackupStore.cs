using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DeployBuild.Settings;

namespace DeployBuild.Database.Remote;

/// <summary>One object of the store: its key, size and time, and whether a verified checksum sits beside it.</summary>
public sealed record RemoteObject(string Key, long SizeBytes, DateTimeOffset LastModified);

/// <summary>The object store could not be used; the message names the cause and the fix.</summary>
public sealed class RemoteStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The S3-compatible store of <c>[backup.remote]</c>, through AWSSDK.S3 (its SigV4 signing, not ours).
/// Every call maps the store's refusals to a message that says what to fix.
/// </summary>
public sealed class S3BackupStore : IDisposable
{
    /// <summary>The checksum written beside a backup once its upload was read back and matched: <c>sha256sum</c>'s format.</summary>
    public const string ChecksumSuffix = ".sha256";

    private readonly AmazonS3Client _client;
    private readonly RemoteBackupSettings _settings;

    public S3BackupStore(RemoteBackupSettings settings, Func<string, string?> environment)
    {
        _settings = settings;
        var accessKey = environment(settings.AccessKeyEnv);
        var secretKey = environment(settings.SecretKeyEnv);
        var missing = new[] { (settings.AccessKeyEnv, accessKey), (settings.SecretKeyEnv, secretKey) }.Where(p => string.IsNullOrEmpty(p.Item2)).Select(p => "$" + p.Item1).ToList();
        if (missing.Count > 0)
        {
            throw new RemoteStoreException(
                $"backup.remote is configured but {string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not set: export the object store's access key pair " +
                $"(for Tigris: flyctl storage create prints it) as ${settings.AccessKeyEnv} and ${settings.SecretKeyEnv}.");
        }

        var config = new AmazonS3Config
        {
            ServiceURL = settings.Endpoint,
            ForcePathStyle = settings.PathStyle,
            AuthenticationRegion = settings.Region,
            // Checksums only where the API requires them: S3-compatible stores (Tigris, R2, MinIO)
            // do not all take the SDK's default trailing CRC32; the build checks SHA-256 itself.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromMinutes(30),
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config);
    }

    public string Bucket => _settings.Bucket;

    public string Url(string key) => $"s3://{_settings.Bucket}/{key}";

    public string KeyFor(string name) => _settings.Prefix + name;

    /// <summary>Proves the credentials and the bucket before anything is dumped.</summary>
    public Task CheckAccessAsync(CancellationToken cancellationToken) =>
        Call("list", _settings.Prefix, () => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _settings.Bucket, Prefix = _settings.Prefix, MaxKeys = 1 }, cancellationToken));

    public Task UploadAsync(string file, string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _settings.Bucket,
            Key = key,
            FilePath = file,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
        };
        foreach (var (name, value) in metadata)
        {
            request.Metadata[name] = value;
        }

        return Call("upload", key, () => _client.PutObjectAsync(request, cancellationToken));
    }

    public Task PutTextAsync(string key, string text, CancellationToken cancellationToken) =>
        Call("upload", key, () => _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _settings.Bucket,
            Key = key,
            ContentBody = text,
            ContentType = "text/plain",
            UseChunkEncoding = false,
        }, cancellationToken));

    public async Task<long> SizeAsync(string key, CancellationToken cancellationToken)
    {
        var head = await Call("read", key, () => _client.GetObjectMetadataAsync(_settings.Bucket, key, cancellationToken));
        return head.ContentLength;
    }

    /// <summary>Reads the object whole, as it is stored, and returns its size and SHA-256 (nothing is written to disk).</summary>
    public async Task<(long Size, string Sha256)> ReadBackAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await Call("read", key, () => _client.GetObjectAsync(_settings.Bucket, key, cancellationToken));
        await using var body = response.ResponseStream;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                size += read;
            }
        }
        catch (AmazonClientException ex)
        {
            // The SDK checks what it reads against the store's own checksum (the ETag's MD5).
            throw new RemoteStoreException($"The copy at {Url(key)} does not match the local archive: the bytes read back fail the store's checksum ({ex.Message})", ex);
        }
        catch (IOException ex)
        {
            throw new RemoteStoreException($"The connection to {_settings.Endpoint} broke while reading {Url(key)} back: {ex.Message}", ex);
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public async Task DownloadAsync(string key, string file, CancellationToken cancellationToken)
    {
        using var response = await Call("download", key, () => _client.GetObjectAsync(_settings.Bucket, key, cancellationToken));
        await using var body = response.ResponseStream;
        await using var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        try
        {
            await body.CopyToAsync(output, 1 << 20, cancellationToken);
        }
        catch (AmazonClientException ex)
        {
            throw new RemoteStoreException($"The download of {Url(key)} fails the store's checksum ({ex.Message}): the object or the transfer is damaged. Nothing was restored.", ex);
        }
    }

    public async Task<string?> ReadTextAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(_settings.Bucket, key, cancellationToken);
            using var reader = new StreamReader(response.ResponseStream);
            return await reader.ReadToEndAsync(cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NoSuchKey" or "NotFound")
        {
            return null;
        }
        catch (AmazonS3Exception ex)
        {
            throw Explain("read", key, ex);
        }
    }

    public async Task<IReadOnlyList<RemoteObject>> ListAsync(CancellationToken cancellationToken)
    {
        var objects = new List<RemoteObject>();
        var request = new ListObjectsV2Request { BucketName = _settings.Bucket, Prefix = _settings.Prefix };
        while (true)
        {
            var page = await Call("list", _settings.Prefix, () => _client.ListObjectsV2Async(request, cancellationToken));
            // AWSSDK v4 leaves collections null when the store sends none.
            objects.AddRange((page.S3Objects ?? []).Select(o => new RemoteObject(o.Key, o.Size ?? 0, o.LastModified is { } t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue)));
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                return objects;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call("delete", key, () => _client.DeleteObjectAsync(_settings.Bucket, key, cancellationToken));

    public void Dispose() => _client.Dispose();

    private async Task<T> Call<T>(string action, string key, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception ex)
        {
            throw Explain(action, key, ex);
        }
        catch (AmazonServiceException ex)
        {
            throw new RemoteStoreException($"Cannot {action} {Url(key)} at {_settings.Endpoint}: {ex.Message}. Check backup.remote.endpoint and that the store is reachable from here.", ex);
        }
        catch (AmazonClientException ex)
        {
            throw new RemoteStoreException($"Cannot {action} {Url(key)} at {_settings.Endpoint}: {ex.Message}. Check backup.remote.endpoint and that the store is reachable from here.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new RemoteStoreException($"Cannot reach the object store at {_settings.Endpoint} to {action} {Url(key)}: {ex.Message}. Check backup.remote.endpoint and the network.", ex);
        }
        catch (IOException ex)
        {
            throw new RemoteStoreException($"The connection to {_settings.Endpoint} broke during the {action} of {Url(key)}: {ex.Message}. Try again; nothing unverified is kept.", ex);
        }
    }

    private RemoteStoreException Explain(string action, string key, AmazonS3Exception ex)
    {
        var where = $"{Url(key)} at {_settings.Endpoint}";
        var fix = ex.ErrorCode switch
        {
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" =>
                $"the store refused the credentials ({ex.ErrorCode}): check ${_settings.AccessKeyEnv} and ${_settings.SecretKeyEnv} (a key pair of this store, for this bucket) and backup.remote.region",
            "AccessDenied" or "Forbidden" =>
                $"the credentials in ${_settings.AccessKeyEnv} may not {action} here (AccessDenied): give the key read, write, list and delete on bucket {_settings.Bucket}",
            "NoSuchBucket" =>
                $"bucket {_settings.Bucket} does not exist at {_settings.Endpoint}: create it (Tigris: flyctl storage create; AWS: aws s3 mb s3://{_settings.Bucket}) or fix backup.remote.bucket",
            "NoSuchKey" or "NotFound" => "there is no such object: ./build.sh --target=Backups lists the backups",
            _ => $"{ex.ErrorCode ?? ex.StatusCode.ToString()}: {ex.Message}",
        };
        return new RemoteStoreException($"Cannot {action} {where}: {fix}.", ex);
    }
}
