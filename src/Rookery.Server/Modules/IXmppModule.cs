namespace Rookery.Server.Modules;

/// <summary>
/// A feature of the server (usually one XEP) that declares, once at start-up, the disco features it adds and the
/// stanzas it handles. A module sees only this API, never the router's or the session manager's internals.
/// </summary>
public interface IXmppModule
{
    /// <summary>The name a host's configuration uses to enable or disable the module (for example <c>roster</c>).</summary>
    string Name { get; }

    /// <summary>Declares the module's features and handlers.</summary>
    void Configure(IModuleBuilder builder);
}
