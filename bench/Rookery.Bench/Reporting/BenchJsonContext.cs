using System.Text.Json.Serialization;

namespace Rookery.Bench.Reporting;

/// <summary>Source-generated JSON for the result file and the SCRAM key cache (trimming-safe, no reflection).</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchResult))]
[JsonSerializable(typeof(List<ScramCacheEntry>))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
