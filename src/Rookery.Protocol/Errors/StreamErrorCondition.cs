namespace Rookery.Protocol.Errors;

/// <summary>The defined stream error conditions of RFC 6120 §4.9.3.</summary>
public enum StreamErrorCondition
{
    /// <summary>bad-format</summary>
    BadFormat,
    /// <summary>bad-namespace-prefix</summary>
    BadNamespacePrefix,
    /// <summary>conflict</summary>
    Conflict,
    /// <summary>connection-timeout</summary>
    ConnectionTimeout,
    /// <summary>host-gone</summary>
    HostGone,
    /// <summary>host-unknown</summary>
    HostUnknown,
    /// <summary>improper-addressing</summary>
    ImproperAddressing,
    /// <summary>internal-server-error</summary>
    InternalServerError,
    /// <summary>invalid-from</summary>
    InvalidFrom,
    /// <summary>invalid-namespace</summary>
    InvalidNamespace,
    /// <summary>invalid-xml</summary>
    InvalidXml,
    /// <summary>not-authorized</summary>
    NotAuthorized,
    /// <summary>not-well-formed</summary>
    NotWellFormed,
    /// <summary>policy-violation</summary>
    PolicyViolation,
    /// <summary>remote-connection-failed</summary>
    RemoteConnectionFailed,
    /// <summary>reset</summary>
    Reset,
    /// <summary>resource-constraint</summary>
    ResourceConstraint,
    /// <summary>restricted-xml</summary>
    RestrictedXml,
    /// <summary>see-other-host</summary>
    SeeOtherHost,
    /// <summary>system-shutdown</summary>
    SystemShutdown,
    /// <summary>undefined-condition</summary>
    UndefinedCondition,
    /// <summary>unsupported-encoding</summary>
    UnsupportedEncoding,
    /// <summary>unsupported-feature</summary>
    UnsupportedFeature,
    /// <summary>unsupported-stanza-type</summary>
    UnsupportedStanzaType,
    /// <summary>unsupported-version</summary>
    UnsupportedVersion,
}
