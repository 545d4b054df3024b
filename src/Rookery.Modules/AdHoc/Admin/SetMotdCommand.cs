using Rookery.Modules.Motd;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.24 Set Message of the Day: an empty form for the new message.</summary>
internal sealed class SetMotdCommand(HostRegistry hosts, MessageOfTheDay motd)
    : MotdFormCommand(hosts, motd, "set-motd", "Set Message of the Day", prefill: false);
