using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// Runs the server side of one SCRAM exchange (RFC 5802 §3, §5; RFC 7677): client-first → server-first →
/// client-final → server-final, including GS2 channel binding checks for the -PLUS variants. One instance per
/// authentication attempt; not thread-safe. Any failure ends the exchange.
/// </summary>
public sealed class ScramServerExchange
{
    /// <summary>The iteration count advertised for unknown users unless <see cref="UnknownUserIterations"/> says otherwise.</summary>
    public const int DefaultUnknownUserIterations = 4096;

    private const int ServerNonceBytes = 24;

    // Per-process secret that keys the fake credentials of unknown users, so their salt is stable within the process
    // (a repeated probe sees the same salt, as for a real account) yet unpredictable.
    private static readonly byte[] ProcessSecret = RandomNumberGenerator.GetBytes(32);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ChannelBinding[] _serverBindings;
    private ChannelBinding? _selectedBinding;
    private State _state;
    private char _cbindFlag;
    private byte[]? _gs2Header;
    private byte[]? _clientFirstBare;
    private string? _clientNonce;
    private string? _nonce;
    private byte[]? _serverFirst;
    private ScramKeys? _keys;
    private bool _unknownUser;

    /// <summary>
    /// Starts an exchange for the mechanism the client selected. <paramref name="plus"/> is true for the -PLUS variant,
    /// which requires <paramref name="serverBinding"/>: the binding data of this connection, as the server sees it.
    /// Without a binding, name the argument (<c>serverBinding: null</c>): a bare <c>null</c> also fits the span overload.
    /// </summary>
    public ScramServerExchange(ScramHash hash, bool plus, ChannelBinding? serverBinding)
        : this(hash, plus, serverBinding is null ? [] : [serverBinding])
    {
    }

    /// <summary>
    /// Starts an exchange on a connection that supports several channel-binding types (for example
    /// <c>tls-server-end-point</c> and <c>tls-unique</c>); the client's GS2 header picks one of them. The bindings
    /// are copied.
    /// </summary>
    public ScramServerExchange(ScramHash hash, bool plus, ReadOnlySpan<ChannelBinding> serverBindings)
    {
        if (plus && serverBindings.IsEmpty)
        {
            throw new ArgumentException("A -PLUS mechanism needs the connection's channel binding data.", nameof(serverBindings));
        }

        _ = hash.HashSize(); // validates the enum value
        Hash = hash;
        Plus = plus;
        foreach (var binding in serverBindings)
        {
            ArgumentNullException.ThrowIfNull(binding, nameof(serverBindings));
        }

        _serverBindings = serverBindings.ToArray();
        ServerAdvertisesPlus = !serverBindings.IsEmpty;
    }

    private enum State
    {
        Start,
        ClientFirstRead,
        ServerFirstSent,
        Completed,
        Failed,
    }

    /// <summary>The hash function of the selected mechanism.</summary>
    public ScramHash Hash { get; }

    /// <summary>True when the client selected the -PLUS (channel binding) variant.</summary>
    public bool Plus { get; }

    /// <summary>
    /// Whether the server offered -PLUS mechanisms on this stream. When true, a client sending the <c>y</c> GS2 flag
    /// was tricked into believing the server lacks channel binding, so the exchange fails (RFC 5802 §6). Defaults to
    /// whether channel binding data was supplied.
    /// </summary>
    public bool ServerAdvertisesPlus { get; init; }

    /// <summary>
    /// The iteration count announced for unknown users; set it to the count real accounts use so the two look alike.
    /// </summary>
    public int UnknownUserIterations { get; init; } = DefaultUnknownUserIterations;

    /// <summary>
    /// The XEP-0474 downgrade protection hash (see <see cref="ScramDowngradeProtection.Compute"/>) to send as the
    /// <c>h</c> attribute of server-first-message, or null to send none. It becomes part of the AuthMessage that both
    /// proofs sign, so a client that finds it matching what it was offered knows nobody removed mechanisms or binding types.
    /// </summary>
    public string? DowngradeProtection { get; init; }

    /// <summary>The authentication identity from client-first-message (escapes decoded, not normalised), once read.</summary>
    public string? Username { get; private set; }

    /// <summary>The authorisation identity from client-first-message, once read, or null when the client sent none.</summary>
    public string? Authzid { get; private set; }

    /// <summary>True once <see cref="VerifyClientFinal"/> has accepted the client's proof.</summary>
    public bool IsCompleted => _state == State.Completed;

    /// <summary>Produces the server nonce suffix; tests use it to replay RFC test vectors.</summary>
    internal Func<string>? NonceFactory { get; init; }

    /// <summary>
    /// Parses client-first-message and checks the GS2 header against the chosen mechanism (RFC 5802 §5.1, §6).
    /// Throws <see cref="SaslException"/>: <see cref="SaslFailure.MalformedRequest"/> for bad syntax, a mandatory
    /// extension (<c>m=</c>), <c>p=</c> with a non-PLUS mechanism or <c>n</c>/<c>y</c> with a PLUS one;
    /// <see cref="SaslFailure.InvalidAuthzid"/> for a malformed <c>a=</c>; <see cref="SaslFailure.NotAuthorized"/> for
    /// an unsupported binding type or the <c>y</c> downgrade.
    /// </summary>
    public ScramClientFirst ReadClientFirst(ReadOnlySpan<byte> message)
    {
        Expect(State.Start);
        _state = State.Failed;
        var text = Decode(message);
        var pos = 0;

        // gs2-cbind-flag = ("p=" cb-name) / "n" / "y"
        string? cbName = null;
        if (text.StartsWith("p=", StringComparison.Ordinal))
        {
            cbName = ReadValue(text, ref pos, 2);
            if (cbName.Length == 0 || !IsCbName(cbName))
            {
                Malformed("invalid channel binding name");
            }

            _cbindFlag = 'p';
        }
        else if (text.StartsWith("n,", StringComparison.Ordinal) || text.StartsWith("y,", StringComparison.Ordinal))
        {
            _cbindFlag = text[0];
            pos = 1;
        }
        else
        {
            Malformed("missing GS2 channel binding flag");
        }

        ExpectComma(text, ref pos);

        // [ authzid ] ","
        string? authzid = null;
        if (text.AsSpan(pos).StartsWith("a=", StringComparison.Ordinal))
        {
            var raw = ReadValue(text, ref pos, pos + 2);
            authzid = DecodeSaslName(raw) ?? SaslException.Throw<string>(SaslFailure.InvalidAuthzid, "SCRAM authzid is empty or badly escaped.");
        }

        ExpectComma(text, ref pos);
        var gs2HeaderLength = pos;

        // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
        if (text.AsSpan(pos).StartsWith("m=", StringComparison.Ordinal))
        {
            // RFC 5802 §5.1: an unknown mandatory extension MUST cause authentication failure.
            Malformed("mandatory extension not supported");
        }

        if (!text.AsSpan(pos).StartsWith("n=", StringComparison.Ordinal))
        {
            Malformed("missing username");
        }

        var username = DecodeSaslName(ReadValue(text, ref pos, pos + 2))
            ?? SaslException.Throw<string>(SaslFailure.MalformedRequest, "SCRAM username is empty or badly escaped.");
        ExpectComma(text, ref pos);
        if (!text.AsSpan(pos).StartsWith("r=", StringComparison.Ordinal))
        {
            Malformed("missing nonce");
        }

        var clientNonce = ReadValue(text, ref pos, pos + 2);
        if (!IsPrintable(clientNonce))
        {
            Malformed("invalid client nonce");
        }

        ReadExtensions(text, ref pos);

        // GS2 flag rules (RFC 5802 §6), checked once the message is known to be well-formed.
        switch (_cbindFlag)
        {
            case 'p' when !Plus:
                Malformed("channel binding requested with a non-PLUS mechanism");
                break;
            case 'p' when (_selectedBinding = FindBinding(cbName)) is null:
                SaslException.Throw(SaslFailure.NotAuthorized, $"SCRAM channel binding type '{cbName}' is not supported on this connection.");
                break;
            case 'n' or 'y' when Plus:
                Malformed("a -PLUS mechanism requires the 'p' GS2 flag");
                break;
            case 'y' when ServerAdvertisesPlus:
                SaslException.Throw(SaslFailure.NotAuthorized, "SCRAM client sent 'y' although -PLUS was offered: possible downgrade attack.");
                break;
        }

        _gs2Header = Encoding.UTF8.GetBytes(text[..gs2HeaderLength]);
        _clientFirstBare = Encoding.UTF8.GetBytes(text[gs2HeaderLength..]);
        _clientNonce = clientNonce;
        Username = username;
        Authzid = authzid;
        _state = State.ClientFirstRead;
        return new ScramClientFirst(username, authzid);
    }

    /// <summary>
    /// Builds server-first-message (<c>r=…,s=…,i=…</c>, then <c>h=…</c> with <see cref="DowngradeProtection"/>) with a fresh 24-byte random nonce. Pass the user's keys, or
    /// null for an unknown user: the exchange then continues with fake keys derived from the username and a
    /// per-process secret, so the reply looks like a real account's and the final step fails with not-authorized.
    /// </summary>
    public byte[] CreateServerFirst(ScramKeys? keys)
    {
        Expect(State.ClientFirstRead);
        if (keys is not null && keys.Hash != Hash)
        {
            throw new ArgumentException($"The keys are for {keys.Hash.HashName()}, the exchange uses {Hash.HashName()}.", nameof(keys));
        }

        _state = State.Failed;
        if (keys is null)
        {
            _unknownUser = true;
            keys = FakeKeys(Username!);
        }

        var suffix = NonceFactory?.Invoke() ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(ServerNonceBytes));
        if (!IsPrintable(suffix))
        {
            throw new InvalidOperationException("The server nonce must be printable ASCII without commas.");
        }

        _keys = keys;
        _nonce = _clientNonce + suffix;
        var serverFirst = string.Create(CultureInfo.InvariantCulture, $"r={_nonce},s={Convert.ToBase64String(keys.Salt)},i={keys.Iterations}");
        if (DowngradeProtection is { } ssdp)
        {
            // RFC 5802 §5.1 allows extensions after i=; an unknown user gets the hash too, or its absence would tell.
            if (!IsPrintable(ssdp))
            {
                throw new InvalidOperationException("The downgrade protection value must be printable ASCII without commas.");
            }

            serverFirst += string.Create(CultureInfo.InvariantCulture, $",{ScramDowngradeProtection.Attribute}={ssdp}");
        }

        _serverFirst = Encoding.ASCII.GetBytes(serverFirst);
        _state = State.ServerFirstSent;
        return (byte[])_serverFirst.Clone();
    }

    /// <summary>
    /// Verifies client-final-message: the channel binding (<c>c=</c> must be base64 of the GS2 header plus, for
    /// <c>p=</c>, the server's binding data), the combined nonce and the proof (constant-time). Returns
    /// server-final-message (<c>v=…</c>). Throws <see cref="SaslException"/>: <see cref="SaslFailure.NotAuthorized"/>
    /// for a wrong proof, binding, nonce or an unknown user; <see cref="SaslFailure.MalformedRequest"/> for bad syntax.
    /// </summary>
    public byte[] VerifyClientFinal(ReadOnlySpan<byte> message)
    {
        Expect(State.ServerFirstSent);
        _state = State.Failed;
        var text = Decode(message);
        var pos = 0;

        // client-final-message-without-proof = channel-binding "," nonce ["," extensions]; then "," proof
        if (!text.StartsWith("c=", StringComparison.Ordinal))
        {
            Malformed("missing channel binding attribute");
        }

        var cbind = FromBase64(ReadValue(text, ref pos, 2), "channel binding");
        ExpectComma(text, ref pos);
        if (!text.AsSpan(pos).StartsWith("r=", StringComparison.Ordinal))
        {
            Malformed("missing nonce");
        }

        var nonce = ReadValue(text, ref pos, pos + 2);
        var proofStart = -1;
        while (pos < text.Length)
        {
            ExpectComma(text, ref pos);
            var attributeStart = pos;
            if (text.AsSpan(pos).StartsWith("p=", StringComparison.Ordinal))
            {
                proofStart = attributeStart;
                _ = ReadValue(text, ref pos, pos + 2);
                if (pos != text.Length)
                {
                    Malformed("the proof must be the last attribute");
                }

                break;
            }

            ReadAttribute(text, ref pos);
        }

        if (proofStart < 0)
        {
            Malformed("missing proof");
        }

        var proof = FromBase64(text[(proofStart + 2)..], "proof");
        var withoutProof = text.AsSpan(0, proofStart - 1);

        if (!string.Equals(nonce, _nonce, StringComparison.Ordinal))
        {
            SaslException.Throw(SaslFailure.NotAuthorized, "SCRAM nonce does not match.");
        }

        // RFC 5802 §6: c= carries the GS2 header, followed by the binding data when the flag is 'p'.
        var binding = _cbindFlag == 'p' ? _selectedBinding!.Data : [];
        var expected = new byte[_gs2Header!.Length + binding.Length];
        _gs2Header.CopyTo(expected, 0);
        binding.CopyTo(expected, _gs2Header.Length);
        if (!CryptographicOperations.FixedTimeEquals(cbind, expected))
        {
            SaslException.Throw(SaslFailure.NotAuthorized, "SCRAM channel binding data does not match.");
        }

        var keys = _keys!;
        var size = Hash.HashSize();
        if (proof.Length != size)
        {
            SaslException.Throw(SaslFailure.NotAuthorized, "SCRAM proof has the wrong length.");
        }

        // AuthMessage = client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof
        var authMessage = new byte[_clientFirstBare!.Length + 1 + _serverFirst!.Length + 1 + Encoding.UTF8.GetByteCount(withoutProof)];
        _clientFirstBare.CopyTo(authMessage, 0);
        authMessage[_clientFirstBare.Length] = (byte)',';
        _serverFirst.CopyTo(authMessage, _clientFirstBare.Length + 1);
        authMessage[_clientFirstBare.Length + 1 + _serverFirst.Length] = (byte)',';
        Encoding.UTF8.GetBytes(withoutProof, authMessage.AsSpan(_clientFirstBare.Length + _serverFirst.Length + 2));

        // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); valid iff H(ClientKey) == StoredKey.
        Span<byte> clientKey = stackalloc byte[size];
        Span<byte> storedKey = stackalloc byte[size];
        Hash.Hmac(keys.StoredKey, authMessage, clientKey);
        for (var i = 0; i < size; i++)
        {
            clientKey[i] ^= proof[i];
        }

        Hash.Hash(clientKey, storedKey);
        var valid = CryptographicOperations.FixedTimeEquals(storedKey, keys.StoredKey) & !_unknownUser;
        CryptographicOperations.ZeroMemory(clientKey);
        if (!valid)
        {
            SaslException.Throw(SaslFailure.NotAuthorized, "SCRAM proof is invalid.");
        }

        Span<byte> serverSignature = stackalloc byte[size];
        Hash.Hmac(keys.ServerKey, authMessage, serverSignature);
        _state = State.Completed;
        return Encoding.ASCII.GetBytes("v=" + Convert.ToBase64String(serverSignature));
    }

    private ScramKeys FakeKeys(string username)
    {
        var name = Encoding.UTF8.GetBytes(Hash.HashName() + "\0" + username);
        var salt = HMACSHA256.HashData(ProcessSecret.AsSpan(), [.. "salt\0"u8, .. name]).AsSpan(0, ScramKeys.DefaultSaltLength).ToArray();
        var stored = HMACSHA512.HashData(ProcessSecret.AsSpan(), [.. "stored\0"u8, .. name]).AsSpan(0, Hash.HashSize()).ToArray();
        var server = HMACSHA512.HashData(ProcessSecret.AsSpan(), [.. "server\0"u8, .. name]).AsSpan(0, Hash.HashSize()).ToArray();
        return new ScramKeys(Hash, salt, UnknownUserIterations, stored, server);
    }

    private void Expect(State state)
    {
        if (_state != state)
        {
            throw new InvalidOperationException($"The SCRAM exchange is in state {_state}, expected {state}.");
        }
    }

    private static string Decode(ReadOnlySpan<byte> message)
    {
        try
        {
            return StrictUtf8.GetString(message);
        }
        catch (DecoderFallbackException e)
        {
            throw new SaslException(SaslFailure.MalformedRequest, "SCRAM message is not valid UTF-8.", e);
        }
    }

    // Reads from valueStart up to the next ',' (or the end) and leaves pos at that comma.
    private static string ReadValue(string text, ref int pos, int valueStart)
    {
        var end = text.IndexOf(',', valueStart);
        if (end < 0)
        {
            end = text.Length;
        }

        pos = end;
        return text[valueStart..end];
    }

    private static void ExpectComma(string text, ref int pos)
    {
        if (pos >= text.Length || text[pos] != ',')
        {
            Malformed("expected ','");
        }

        pos++;
    }

    // attr-val = ALPHA "=" value; value = 1*value-char (no NUL or ',').
    private static void ReadAttribute(string text, ref int pos)
    {
        if (pos + 2 > text.Length || !char.IsAsciiLetter(text[pos]) || text[pos + 1] != '=')
        {
            Malformed("invalid attribute");
        }

        var value = ReadValue(text, ref pos, pos + 2);
        if (value.Length == 0 || value.Contains('\0', StringComparison.Ordinal))
        {
            Malformed("invalid attribute value");
        }
    }

    private static void ReadExtensions(string text, ref int pos)
    {
        while (pos < text.Length)
        {
            ExpectComma(text, ref pos);
            ReadAttribute(text, ref pos);
        }
    }

    // saslname = 1*(value-safe-char / "=2C" / "=3D"); returns null when empty or badly escaped.
    private static string? DecodeSaslName(string raw)
    {
        if (raw.Length == 0 || raw.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        if (!raw.Contains('=', StringComparison.Ordinal))
        {
            return raw;
        }

        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '=')
            {
                sb.Append(raw[i]);
            }
            else if (string.CompareOrdinal(raw, i, "=2C", 0, 3) == 0)
            {
                sb.Append(',');
                i += 2;
            }
            else if (string.CompareOrdinal(raw, i, "=3D", 0, 3) == 0)
            {
                sb.Append('=');
                i += 2;
            }
            else
            {
                return null;
            }
        }

        return sb.ToString();
    }

    private static bool IsCbName(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '.' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    // printable = %x21-2B / %x2D-7E (RFC 5802 §7)
    private static bool IsPrintable(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c < 0x21 || c > 0x7E || c == ',')
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] FromBase64(string value, string what)
    {
        try
        {
            return value.Length == 0 ? SaslException.Throw<byte[]>(SaslFailure.MalformedRequest, $"SCRAM {what} is empty.") : Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new SaslException(SaslFailure.MalformedRequest, $"SCRAM {what} is not valid base64.", e);
        }
    }

    [DoesNotReturn]
    private static void Malformed(string why) => SaslException.Throw(SaslFailure.MalformedRequest, "Malformed SCRAM message: " + why + ".");

    private ChannelBinding? FindBinding(string? type)
    {
        foreach (var b in _serverBindings)
        {
            if (string.Equals(b.Type, type, StringComparison.Ordinal))
            {
                return b;
            }
        }

        return null;
    }
}
