using System.Text.Json.Serialization;

namespace Rookery.Storage.Sqlite;

/// <summary>
/// Source-generated (reflection-free) JSON for the <c>roster_items.groups</c> column: an item's groups are always
/// read and written together with the item, so one JSON array in the row beats a join table.
/// </summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class RosterGroupsJson : JsonSerializerContext;
