using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// The files of the upload service in one folder: <c>&lt;id&gt;</c> holds a file's bytes and <c>&lt;id&gt;.meta</c>, a
/// small JSON sidecar, its name and content type. A file is written under a temporary name and moved into place, then
/// its sidecar; a file counts only once both exist, so a reader never sees a partial upload. Ids are checked by
/// <see cref="UploadSignatures.IsValidId"/> before they reach a path. On a cluster every node must see the same folder.
/// </summary>
public sealed class UploadFolder(HttpUploadSite site)
{
    /// <summary>What <see cref="StoreAsync"/> did.</summary>
    public enum StoreResult
    {
        /// <summary>The file and its sidecar are in place.</summary>
        Stored,

        /// <summary>A file of that id was there already (a second PUT to one slot); nothing changed.</summary>
        Exists,

        /// <summary>The body was not the announced size; nothing kept.</summary>
        WrongSize,
    }

    /// <summary>A stored file.</summary>
    /// <param name="Path">The full path of its bytes.</param>
    /// <param name="Name">The file name of its slot.</param>
    /// <param name="ContentType">The content type of the PUT that stored it.</param>
    public sealed record StoredFile(string Path, string Name, string ContentType);

    /// <summary>The folder's full path.</summary>
    public string Path => site.Folder;

    /// <summary>Whether bytes are stored under <paramref name="id"/> (complete or about to be).</summary>
    public bool Exists(string id) => File.Exists(DataPath(id));

    /// <summary>The stored file of an id, or null when there is none (or its upload has not completed).</summary>
    public StoredFile? Find(string id)
    {
        var data = DataPath(id);
        try
        {
            if (!File.Exists(data))
            {
                return null;
            }

            using var meta = JsonDocument.Parse(File.ReadAllBytes(MetaPath(id)));
            var root = meta.RootElement;
            return root.TryGetProperty("name", out var name) && name.GetString() is { } n &&
                root.TryGetProperty("contentType", out var type) && type.GetString() is { } t
                ? new StoredFile(data, n, t)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // No sidecar yet (the upload is finishing), or an unreadable one: not a file to serve.
            return null;
        }
    }

    /// <summary>
    /// Copies exactly <paramref name="size"/> bytes from <paramref name="body"/> into the file of <paramref name="id"/>.
    /// Throws what reading the body throws (a client that goes away); in every outcome but <see cref="StoreResult.Stored"/>
    /// nothing is left behind.
    /// </summary>
    public async Task<StoreResult> StoreAsync(string id, string name, string contentType, long size, Stream body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        Directory.CreateDirectory(Path);
        var temp = TempPath(id);
        try
        {
            var written = 0L;
            var buffer = ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    written += read;
                    if (written > size)
                    {
                        return StoreResult.WrongSize;
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                await file.FlushAsync(ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (written != size)
            {
                return StoreResult.WrongSize;
            }

            try
            {
                // Not overwriting: of two PUTs to one slot, the first to finish wins.
                File.Move(temp, DataPath(id), overwrite: false);
            }
            catch (IOException) when (File.Exists(DataPath(id)))
            {
                return StoreResult.Exists;
            }

            await WriteMetaAsync(id, name, contentType, size, ct);
            return StoreResult.Stored;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes every file uploaded before <paramref name="uploadedBefore"/> (its bytes' last write, which is when its
    /// upload ended), with its sidecar; returns how many. The sidecar goes first, so a file is never served half deleted.
    /// Names that are not uploads (an operator's own files) are left alone.
    /// </summary>
    public int DeleteUploadedBefore(DateTimeOffset uploadedBefore)
    {
        var deleted = 0;
        foreach (var data in EnumerateUploads())
        {
            if (File.GetLastWriteTimeUtc(data) < uploadedBefore.UtcDateTime && File.Exists(data))
            {
                File.Delete(data + ".meta");
                File.Delete(data);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>
    /// Deletes what uploads that never finished left behind, last written before <paramref name="before"/>: temporary
    /// files of a process that died mid-upload, bytes whose sidecar was never written, sidecars whose bytes are gone.
    /// The cut-off must lie well before any upload still running (a day is used), as these are an upload's normal
    /// states for the moment it takes; returns how many files were deleted.
    /// </summary>
    public int DeleteLeftovers(DateTimeOffset before)
    {
        if (!Directory.Exists(Path))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(Path))
        {
            var name = System.IO.Path.GetFileName(file);
            var leftover = name.EndsWith(".part", StringComparison.Ordinal)
                || (name.EndsWith(".meta", StringComparison.Ordinal) && UploadSignatures.IsValidId(name[..^5]) && !File.Exists(file[..^5]))
                || (UploadSignatures.IsValidId(name) && !File.Exists(file + ".meta"));
            if (leftover && File.GetLastWriteTimeUtc(file) < before.UtcDateTime)
            {
                File.Delete(file);
                deleted++;
            }
        }

        return deleted;
    }

    private IEnumerable<string> EnumerateUploads() =>
        Directory.Exists(Path)
            ? Directory.EnumerateFiles(Path).Where(f => UploadSignatures.IsValidId(System.IO.Path.GetFileName(f)))
            : [];

    private async Task WriteMetaAsync(string id, string name, string contentType, long size, CancellationToken ct)
    {
        var temp = TempPath(id);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            await using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("contentType", contentType);
                json.WriteNumber("size", size);
                json.WriteString("stored", DateTimeOffset.UtcNow);
                json.WriteEndObject();
                await json.FlushAsync(ct);
            }

            File.Move(temp, MetaPath(id), overwrite: true);
        }
        catch
        {
            // Without its sidecar the file would never be served and the slot could not be used again.
            File.Delete(DataPath(id));
            throw;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string DataPath(string id) => System.IO.Path.Combine(Path, id);

    private string MetaPath(string id) => System.IO.Path.Combine(Path, id + ".meta");

    /// <summary>A temporary name in the same folder (so the final move is a rename), never a valid id.</summary>
    private string TempPath(string id) => System.IO.Path.Combine(Path, $"{id}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.part");
}
