using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rookery.Modules.ExternalServices;

/// <summary>
/// Ephemeral TURN credentials of the TURN REST API (draft-uberti-behave-turn-rest-00 §2.2), which coturn checks with
/// <c>use-auth-secret</c> and <c>static-auth-secret</c>: the user name is the expiry as a Unix time, a colon and an id;
/// the password is the base64 HMAC-SHA1 of the user name keyed with the shared secret.
/// </summary>
/// <param name="Username">The user name, <c>&lt;expiry&gt;:&lt;id&gt;</c>.</param>
/// <param name="Password">The password, base64(HMAC-SHA1(secret, user name)).</param>
/// <param name="Expires">When the TURN server stops accepting them (whole seconds, UTC).</param>
public sealed record TurnRestCredentials(string Username, string Password, DateTimeOffset Expires)
{
    /// <summary>Derives the credentials of <paramref name="id"/> that expire at <paramref name="expires"/> (cut to whole seconds).</summary>
    public static TurnRestCredentials Create(string secret, string id, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(id);
        var seconds = expires.ToUnixTimeSeconds();
        var username = string.Create(CultureInfo.InvariantCulture, $"{seconds}:{id}");
        // The draft's HMAC-SHA1 is what coturn computes; it is a MAC over a short-lived name, not a password hash.
#pragma warning disable CA5350 // HMAC-SHA1 is fixed by the TURN REST API that the TURN server implements.
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username));
#pragma warning restore CA5350
        return new TurnRestCredentials(username, Convert.ToBase64String(mac), DateTimeOffset.FromUnixTimeSeconds(seconds));
    }
}
