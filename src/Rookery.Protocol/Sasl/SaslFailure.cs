namespace Rookery.Protocol.Sasl;

/// <summary>The SASL failure conditions of RFC 6120 §6.5, sent as children of <c>&lt;failure/&gt;</c>.</summary>
public enum SaslFailure
{
    /// <summary>aborted: the client aborted the exchange.</summary>
    Aborted,

    /// <summary>account-disabled: the account exists but is disabled.</summary>
    AccountDisabled,

    /// <summary>credentials-expired: the credentials are valid but have expired.</summary>
    CredentialsExpired,

    /// <summary>encryption-required: the mechanism may only be used over an encrypted stream.</summary>
    EncryptionRequired,

    /// <summary>incorrect-encoding: the data was not valid base64.</summary>
    IncorrectEncoding,

    /// <summary>invalid-authzid: the authorisation identity is malformed or not permitted.</summary>
    InvalidAuthzid,

    /// <summary>invalid-mechanism: the mechanism is not supported.</summary>
    InvalidMechanism,

    /// <summary>malformed-request: the request does not follow the mechanism's syntax.</summary>
    MalformedRequest,

    /// <summary>mechanism-too-weak: policy requires a stronger mechanism.</summary>
    MechanismTooWeak,

    /// <summary>not-authorized: the credentials or channel binding did not verify.</summary>
    NotAuthorized,

    /// <summary>temporary-auth-failure: a server-side problem; the client may retry.</summary>
    TemporaryAuthFailure,
}
