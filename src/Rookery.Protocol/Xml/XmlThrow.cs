using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Rookery.Protocol.Errors;

namespace Rookery.Protocol.Xml;

/// <summary>
/// Throw helpers for <see cref="XmlStreamParser"/>: kept out of line so the hot parsing loops stay small
/// (Garnet <c>GarnetException</c> pattern), and the only way the parser reports bad input.
/// </summary>
internal static class XmlThrow
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void NotWellFormed(string text) =>
        throw new StreamErrorException(StreamErrorCondition.NotWellFormed, text);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Restricted(string text) =>
        throw new StreamErrorException(StreamErrorCondition.RestrictedXml, text);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Error(StreamErrorCondition condition, string text) =>
        throw new StreamErrorException(condition, text);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StanzaTooLarge(int max) =>
        throw new StreamErrorException(
            StreamErrorCondition.PolicyViolation, string.Create(CultureInfo.InvariantCulture, $"stanza exceeds {max} bytes"));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void HeaderTooLarge(int max) =>
        throw new StreamErrorException(
            StreamErrorCondition.PolicyViolation, string.Create(CultureInfo.InvariantCulture, $"stream header exceeds {max} bytes"));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void DepthExceeded(int max) =>
        throw new StreamErrorException(
            StreamErrorCondition.PolicyViolation, string.Create(CultureInfo.InvariantCulture, $"element nesting exceeds {max}"));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TooManyAttributes(int max) =>
        throw new StreamErrorException(
            StreamErrorCondition.PolicyViolation, string.Create(CultureInfo.InvariantCulture, $"too many attributes (more than {max})"));
}
