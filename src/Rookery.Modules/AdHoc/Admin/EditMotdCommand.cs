using Rookery.Modules.Motd;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.25 Edit Message of the Day: the set-motd form, filled with the current message.</summary>
internal sealed class EditMotdCommand(HostRegistry hosts, MessageOfTheDay motd)
    : MotdFormCommand(hosts, motd, "edit-motd", "Edit Message of the Day", prefill: true);
