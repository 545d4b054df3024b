using System.Text.Json.Serialization;

namespace Rookery.Storage.Postgres;

/// <summary>
/// Source-generated (reflection-free) JSON for the <c>pubsub_nodes.config</c> column: a node's configuration is always
/// read and written whole, so one JSON object in the row beats a table of fields.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class PubsubConfigJson : JsonSerializerContext;
