using System.Text;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// A flood of large messages from one client, and the count afterwards of where each one went: to its recipient or back
/// to the sender as a stanza error. Bodies of 4 KB because the kernel buffers megabytes of what the server writes to a
/// peer before the server's own writes back up.
/// </summary>
internal static class Flood
{
    /// <summary>Sends <paramref name="count"/> messages with ids f0, f1, ... in writes of 10; completes when all are written.</summary>
    public static async Task SendAsync(RawXmppClient sender, string to, int count)
    {
        var body = new string('x', 4000);
        var batch = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            batch.Append($"<message to='{to}' id='f{i}' type='chat'><body>{i}: {body}</body></message>");
            if ((i + 1) % 10 == 0)
            {
                await sender.SendAsync(batch.ToString());
                batch.Clear();
            }
        }

        if (batch.Length > 0)
        {
            await sender.SendAsync(batch.ToString());
        }
    }

    /// <summary>Collects the ids of the errors that come back to <paramref name="sender"/> until <paramref name="done"/> says so (bounded).</summary>
    public static async Task<HashSet<string>> BouncesAsync(RawXmppClient sender, Func<HashSet<string>, bool> done)
    {
        var bounced = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!done(bounced) && DateTime.UtcNow < deadline)
        {
            Element error;
            try
            {
                error = await sender.WaitForAsync(e => e.Name == "message" && e.GetAttribute("type") == "error", deadline - DateTime.UtcNow);
            }
            catch (TimeoutException)
            {
                break;
            }

            StanzaErrors.ConditionOf(error).Should().NotBeNull("a bounce carries a stanza error");
            bounced.Add(error.GetAttribute("id")!);
        }

        return bounced;
    }

    /// <summary>
    /// Asserts that every message the server had not yet handed to the transport when it dropped a peer that does not
    /// read came back to the sender, and that the only ones neither delivered nor bounced are among those it had handed
    /// over: no server can account for those without acknowledgements. They come before the first bounce, since the
    /// writer takes stanzas in order. <paramref name="maxInTransport"/> bounds how many, when the test can know it.
    /// </summary>
    public static void ShouldAccountForEveryMessage(int count, IReadOnlySet<string> delivered, IReadOnlySet<string> bounced, int? maxInTransport, string why)
    {
        bounced.Should().NotBeEmpty("the stanzas queued when the stream closed went back to the sender");
        var missing = Enumerable.Range(0, count).Where(i => !delivered.Contains("f" + i) && !bounced.Contains("f" + i)).ToList();
        var firstBounce = Enumerable.Range(0, count).First(i => bounced.Contains("f" + i));
        var detail = $"{why}: {delivered.Count} delivered, {bounced.Count} bounced, first bounce f{firstBounce}, {missing.Count} missing";
        Enumerable.Range(firstBounce, count - firstBounce).Should().OnlyContain(i => bounced.Contains("f" + i), "everything the writer had not taken bounced; " + detail);
        // None missing is the best case; FluentAssertions' OnlyContain fails on an empty collection, so count the exceptions.
        missing.Where(i => i >= firstBounce).Should().BeEmpty(detail);
        if (maxInTransport is { } bound)
        {
            missing.Where(i => i < firstBounce - bound).Should().BeEmpty(detail);
        }
    }
}
