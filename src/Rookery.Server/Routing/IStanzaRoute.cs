namespace Rookery.Server.Routing;

/// <summary>A destination in the route table: something that takes stanzas for one or more domains.</summary>
public interface IStanzaRoute
{
    /// <summary>Delivers or handles the stanza. May throw; the router turns failures into bounces.</summary>
    ValueTask RouteAsync(Stanza stanza);
}
