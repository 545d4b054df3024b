namespace Rookery.Server.Modules;

/// <summary>How much of a XEP a module implements (the "status" column of docs/dev/xep-support.md).</summary>
public enum XepStatus
{
    /// <summary>Everything the server's role in the XEP requires.</summary>
    Complete,

    /// <summary>The commonly used part; <see cref="XepAttribute.Note"/> says what is missing.</summary>
    Partial,
}
