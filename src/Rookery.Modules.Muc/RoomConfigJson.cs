using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rookery.Modules.Muc;

/// <summary>The stored form of a <see cref="RoomConfig"/>: JSON with enum names, readable in the database.</summary>
internal static class RoomConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new JsonStringEnumConverter() },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    // Marks a room stored while locked awaiting its owner's configuration (XEP-0045 §10.1.2); only a cluster stores
    // such rooms, so that the node taking over from a dead host rebuilds the room still locked (docs/dev/muc.md).
    private const string LockedProperty = "locked";

    /// <summary>The JSON of <paramref name="config"/>, with the locked mark when the room awaits its configuration.</summary>
    public static string Serialize(RoomConfig config, bool locked = false)
    {
        if (!locked)
        {
            return JsonSerializer.Serialize(config, Options);
        }

        var json = JsonSerializer.SerializeToNode(config, Options)!.AsObject();
        json[LockedProperty] = true;
        return json.ToJsonString(Options);
    }

    /// <summary>Whether stored JSON marks a room locked awaiting its owner's configuration (§10.1.2).</summary>
    public static bool IsLocked(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty(LockedProperty, out var locked)
            && locked.ValueKind == JsonValueKind.True;
    }

    /// <summary>Reads stored JSON; fields it lacks keep their defaults, so older rows read after new fields appear.</summary>
    public static RoomConfig Deserialize(string json) => JsonSerializer.Deserialize<RoomConfig>(json, Options) ?? new RoomConfig();
}
