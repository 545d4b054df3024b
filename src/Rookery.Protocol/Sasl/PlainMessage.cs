using System.Text;

namespace Rookery.Protocol.Sasl;

/// <summary>Parses the single client message of SASL PLAIN (RFC 4616 §2): <c>[authzid] NUL authcid NUL passwd</c>.</summary>
public static class PlainMessage
{
    // RFC 4616 §2: each part is UTF-8 of 1..255 octets (authzid and authcid); invalid UTF-8 is a failure.
    private const int MaxPartBytes = 255;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Splits the message into its three parts. An empty authzid is returned as null. Throws
    /// <see cref="SaslException"/> with <see cref="SaslFailure.MalformedRequest"/> for a wrong NUL count, an empty
    /// authcid or password, over-long parts or invalid UTF-8. The caller normalises authcid and checks the password.
    /// </summary>
    public static (string? Authzid, string Authcid, string Password) Parse(ReadOnlySpan<byte> message)
    {
        var first = message.IndexOf((byte)0);
        if (first < 0)
        {
            return SaslException.Throw<(string?, string, string)>(SaslFailure.MalformedRequest, "PLAIN message has no NUL separator.");
        }

        var rest = message[(first + 1)..];
        var second = rest.IndexOf((byte)0);
        if (second < 0)
        {
            return SaslException.Throw<(string?, string, string)>(SaslFailure.MalformedRequest, "PLAIN message has only one NUL separator.");
        }

        var authzid = message[..first];
        var authcid = rest[..second];
        var password = rest[(second + 1)..];
        if (password.IndexOf((byte)0) >= 0)
        {
            return SaslException.Throw<(string?, string, string)>(SaslFailure.MalformedRequest, "PLAIN message has more than two NUL separators.");
        }

        if (authcid.IsEmpty || password.IsEmpty)
        {
            return SaslException.Throw<(string?, string, string)>(SaslFailure.MalformedRequest, "PLAIN authcid and password must not be empty.");
        }

        if (authzid.Length > MaxPartBytes || authcid.Length > MaxPartBytes || password.Length > MaxPartBytes)
        {
            return SaslException.Throw<(string?, string, string)>(SaslFailure.MalformedRequest, "PLAIN message part longer than 255 octets.");
        }

        return (authzid.IsEmpty ? null : Decode(authzid), Decode(authcid), Decode(password));
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SaslException(SaslFailure.MalformedRequest, "PLAIN message is not valid UTF-8.", e);
        }
    }
}
