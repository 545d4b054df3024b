using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication.ExtendedProtection;
using ChannelBinding = Rookery.Protocol.Sasl.ChannelBinding;

namespace Rookery.Server.Transport;

/// <summary>
/// The SCRAM-PLUS channel-binding data of a TLS connection: <c>tls-server-end-point</c> (RFC 5929 §4, from our
/// certificate) always, and <c>tls-unique</c> (RFC 5929 §3) when the TLS stack exposes it, because that is the only
/// type many deployed clients (slixmpp among them) implement.
/// </summary>
internal static class TlsChannelBindings
{
    private const int HeaderSize = 32; // SEC_CHANNEL_BINDINGS: eight 32-bit fields
    private static readonly byte[] UniquePrefix = "tls-unique:"u8.ToArray();

    public static ChannelBinding[] Read(SslStream tls, TlsIdentity? identity)
    {
        var list = new List<ChannelBinding>(2);
        if (identity is not null)
        {
            list.Add(identity.EndPointBinding);
        }

        if (ReadUnique(tls) is { } unique)
        {
            list.Add(new ChannelBinding(ChannelBinding.TlsUniqueType, unique));
        }

        return [.. list];
    }

    private static byte[]? ReadUnique(SslStream tls)
    {
        using var binding = tls.TransportContext?.GetChannelBinding(ChannelBindingKind.Unique);
        if (binding is null || binding.IsInvalid || binding.Size <= HeaderSize)
        {
            return null;
        }

        // The handle holds a SEC_CHANNEL_BINDINGS header whose application data is "tls-unique:" + Finished.
        var raw = new byte[binding.Size];
        Marshal.Copy(binding.DangerousGetHandle(), raw, 0, raw.Length);
        var length = BitConverter.ToInt32(raw, 24);
        var offset = BitConverter.ToInt32(raw, 28);
        if (offset < HeaderSize || length <= 0 || offset + length > raw.Length)
        {
            return null;
        }

        var data = raw.AsSpan(offset, length);
        if (data.StartsWith(UniquePrefix))
        {
            data = data[UniquePrefix.Length..];
        }

        return data.Length == 0 ? null : data.ToArray();
    }
}
