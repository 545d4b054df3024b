namespace Rookery.Server.Modules;

/// <summary>
/// Names a XEP a module implements, the version of the specification it follows, and how completely; the XEP support
/// table in docs/dev/xep-support.md is generated from these (ejabberd's <c>mod_doc</c>). A module that covers several
/// XEPs carries one attribute per XEP.
/// </summary>
/// <param name="number">The XEP number, for example 199.</param>
/// <param name="version">The version of the XEP the implementation follows, for example <c>2.0</c>.</param>
/// <param name="status">How much of the XEP is implemented.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class XepAttribute(int number, string version, XepStatus status = XepStatus.Complete) : Attribute
{
    /// <summary>The XEP number.</summary>
    public int Number { get; } = number;

    /// <summary>The version of the XEP the implementation follows.</summary>
    public string Version { get; } = version;

    /// <summary>How much of the XEP is implemented.</summary>
    public XepStatus Status { get; } = status;

    /// <summary>What is left out or differs, for a partial implementation; null when there is nothing to say.</summary>
    public string? Note { get; set; }
}
