using Rookery.TestKit;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// A fact that needs Debian's python3-slixmpp under /usr/bin/python3. xunit 2.9 has no dynamic skip, so the check runs
/// when the attribute is built: without the module the test is skipped, except in CI (environment CI=true), where a
/// missing interop client must fail the run instead of passing silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SlixmppFactAttribute : FactAttribute
{
    /// <summary>The interpreter the interop scripts are written for (the system one, with Debian's packages).</summary>
    public const string Python = InteropScript.Python;

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when slixmpp is unavailable outside CI.</summary>
    public SlixmppFactAttribute()
    {
        if (Missing is { } reason && !IsCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }

    /// <summary>
    /// Whether the test also needs aiohttp (Debian's python3-aiohttp), which slixmpp's XEP-0363 plugin uploads with;
    /// skipped without it outside CI, as without slixmpp.
    /// </summary>
    public bool NeedsAiohttp
    {
        get => _needsAiohttp;
        set
        {
            _needsAiohttp = value;
            if (value && InteropScript.MissingAiohttp is { } reason && !IsCi)
            {
                Skip = reason + " (set CI=true to make this a failure)";
            }
        }
    }

    private bool _needsAiohttp;

    /// <summary>True when the environment says this is a CI run.</summary>
    public static bool IsCi => InteropScript.IsCi;

    /// <summary>Why the interop client cannot run here, or null when it can.</summary>
    public static string? Missing => InteropScript.MissingSlixmpp;
}
