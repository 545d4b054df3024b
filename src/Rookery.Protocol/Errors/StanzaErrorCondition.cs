namespace Rookery.Protocol.Errors;

/// <summary>The defined stanza error conditions of RFC 6120 §8.3.3.</summary>
public enum StanzaErrorCondition
{
    /// <summary>bad-request (modify)</summary>
    BadRequest,
    /// <summary>conflict (cancel)</summary>
    Conflict,
    /// <summary>feature-not-implemented (cancel)</summary>
    FeatureNotImplemented,
    /// <summary>forbidden (auth)</summary>
    Forbidden,
    /// <summary>gone (cancel)</summary>
    Gone,
    /// <summary>internal-server-error (cancel)</summary>
    InternalServerError,
    /// <summary>item-not-found (cancel)</summary>
    ItemNotFound,
    /// <summary>jid-malformed (modify)</summary>
    JidMalformed,
    /// <summary>not-acceptable (modify)</summary>
    NotAcceptable,
    /// <summary>not-allowed (cancel)</summary>
    NotAllowed,
    /// <summary>not-authorized (auth)</summary>
    NotAuthorized,
    /// <summary>policy-violation (modify)</summary>
    PolicyViolation,
    /// <summary>recipient-unavailable (wait)</summary>
    RecipientUnavailable,
    /// <summary>redirect (modify)</summary>
    Redirect,
    /// <summary>registration-required (auth)</summary>
    RegistrationRequired,
    /// <summary>remote-server-not-found (cancel)</summary>
    RemoteServerNotFound,
    /// <summary>remote-server-timeout (wait)</summary>
    RemoteServerTimeout,
    /// <summary>resource-constraint (wait)</summary>
    ResourceConstraint,
    /// <summary>service-unavailable (cancel)</summary>
    ServiceUnavailable,
    /// <summary>subscription-required (auth)</summary>
    SubscriptionRequired,
    /// <summary>undefined-condition (cancel)</summary>
    UndefinedCondition,
    /// <summary>unexpected-request (wait)</summary>
    UnexpectedRequest,
}
