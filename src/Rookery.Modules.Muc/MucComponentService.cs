using Microsoft.Extensions.Logging;
using Rookery.Components;
using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// A MUC service (XEP-0045) run as an external component (XEP-0114, <c>rookery component --service muc</c>): every stanza
/// the node routes to the component domain goes to <see cref="MucService.HandleAsync"/>, and what the service emits is
/// written back to the component stream (docs/dev/muc.md "Shape"). Rooms are kept in the component's own storage.
/// </summary>
public sealed partial class MucComponentService : IComponentService
{
    /// <summary>The service's name for <c>--service</c>.</summary>
    public const string ServiceName = "muc";

    private readonly ComponentStanzaSink _sink;
    private readonly ILogger _logger;
    private int _loaded;

    private MucComponentService(MucService service, ComponentStanzaSink sink, ILogger logger)
    {
        Service = service;
        _sink = sink;
        _logger = logger;
    }

    /// <summary>The MUC service behind the component.</summary>
    public MucService Service { get; }

    /// <summary>
    /// Builds the service on the component domain. Who may create rooms follows <see cref="MucOptions.RoomCreation"/>:
    /// local users are those of the parent domain (<c>example.com</c> for <c>conference.example.com</c>); a component
    /// knows no server administrators, so <c>Admins</c> lets nobody create rooms.
    /// </summary>
    public static MucComponentService Create(
        ComponentClientOptions component,
        MucOptions options,
        IMucStore store,
        IMessageArchiveStore? archive,
        MamOptions archiveOptions,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(options);
        var domain = Jid.Create(null, component.Domain);
        var dot = domain.Domain.IndexOf('.', StringComparison.Ordinal);
        var parent = dot > 0 ? domain.Domain[(dot + 1)..] : domain.Domain;
        var sink = new ComponentStanzaSink();
        var service = new MucService(
            domain,
            options,
            sink,
            store,
            archive,
            archiveOptions,
            _ => false,
            jid => options.RoomCreation switch
            {
                MucRoomCreation.Anyone => true,
                MucRoomCreation.Admins => false,
                _ => jid.Local is not null && string.Equals(jid.Domain, parent, StringComparison.Ordinal),
            },
            TimeProvider.System,
            logger);
        return new MucComponentService(service, sink, logger);
    }

    /// <inheritdoc />
    public async ValueTask OnConnectedAsync(IComponentContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        _sink.Context = context;
        if (Interlocked.Exchange(ref _loaded, 1) == 0)
        {
            // Persistent rooms come back once per process, on the first connection.
            await Service.LoadAsync(ct);
        }
    }

    /// <inheritdoc />
    public ValueTask HandleAsync(Element stanza, IComponentContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        _sink.Context = context;
        if (!Jid.TryParse(stanza.GetAttribute("from"), out var from) || !Jid.TryParse(stanza.GetAttribute("to"), out var to))
        {
            // The node stamps both addresses (XEP-0114 §2); a stanza without them cannot be answered.
            Log.Unaddressed(_logger, stanza.Name);
            return ValueTask.CompletedTask;
        }

        return Service.HandleAsync(stanza, from, to, ct);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4540, Level = LogLevel.Warning, Message = "A {Name} stanza without valid from/to reached the MUC component and was dropped")]
        public static partial void Unaddressed(ILogger logger, string name);
    }
}
