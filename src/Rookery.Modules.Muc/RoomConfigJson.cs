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

    public static string Serialize(RoomConfig config) => JsonSerializer.Serialize(config, Options);

    /// <summary>Reads stored JSON; fields it lacks keep their defaults, so older rows read after new fields appear.</summary>
    public static RoomConfig Deserialize(string json) => JsonSerializer.Deserialize<RoomConfig>(json, Options) ?? new RoomConfig();
}
