using System.Globalization;

namespace Rookery.Modules.FlexibleOffline;

/// <summary>
/// The XEP-0013 <c>node</c> of a stored offline message: its store id, zero-padded to 19 digits, so that it stays the
/// same for as long as the message is stored and the character-by-character order §2.3 allows clients to apply is the
/// order of arrival.
/// </summary>
internal static class OfflineNode
{
    private const string Format = "D19";

    /// <summary>The node of the message with store id <paramref name="id"/>.</summary>
    public static string From(long id) => id.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// The store id a node names; false for anything this server did not hand out (other digits count, signs, spaces),
    /// so that one message has exactly one node.
    /// </summary>
    public static bool TryParse(string? node, out long id)
    {
        id = 0;
        return node is { Length: 19 } &&
               long.TryParse(node, NumberStyles.None, CultureInfo.InvariantCulture, out id) &&
               id > 0;
    }
}
