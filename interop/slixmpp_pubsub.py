#!/usr/bin/python3
"""Pubsub service interop check: two slixmpp clients use the server's pubsub.<domain> service (XEP-0060).

Run like slixmpp_interop.py (same options, same two existing accounts):

    /usr/bin/python3 interop/slixmpp_pubsub.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

Both clients load slixmpp's XEP-0030, XEP-0004 and XEP-0060 plugins. Steps:
  login of both users (no roster subscription is needed: the service is not PEP),
  user2 finds the service in the domain's disco#items and its pubsub/service identity (XEP-0060 §5.1),
  user1 creates a node with a configuration form (§8.1.3) and user2 subscribes (§6.1),
  user1 publishes an Atom entry; user2 gets the notification with the payload (§7.1.2) and retrieves it (§6.5),
  user2 lists its subscriptions (§5.6); publishing as user2 is refused (forbidden, §7.1.3) until user1
  makes user2 a publisher (§8.9.2),
  user1 retracts an item and deletes the node; user2 is notified of both (§7.2.2, §8.4.2),
  publishing to the deleted node is item-not-found.
With --port2 (a cluster's second node), user2 is on the other node, so every notification crosses nodes.
Output and exit status as in slixmpp_interop.py.
"""

import asyncio
import os
import sys
from xml.etree import ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp.exceptions import IqError  # noqa: E402
from slixmpp_interop import Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402


ATOM = "http://www.w3.org/2005/Atom"
PLUGINS = ("xep_0030", "xep_0004", "xep_0060")


class PubsubRunner(Runner):
    """The pubsub service steps."""

    def __init__(self, args):
        super().__init__(args)
        self.group = "pubsub"
        self.service = f"pubsub.{args.domain}"
        self.node = f"news-{self.token}"

    def watch(self, client):
        """Queues the pubsub events a client gets, as (kind, message)."""
        events = asyncio.Queue()
        for kind in ("publish", "retract", "delete"):
            client.add_event_handler(f"pubsub_{kind}", lambda msg, kind=kind: events.put_nowait((kind, msg)))
        return events

    async def expect(self, events, kind):
        while True:
            got, msg = await asyncio.wait_for(events.get(), self.args.step_timeout)
            if got == kind and msg["from"].bare == self.service and msg["pubsub_event"]["items" if kind != "delete" else "delete"]["node"] == self.node:
                return msg

    async def run(self):
        a = self.new_client(self.args.user1, self.args.pass1, "pubsub", PLUGINS)
        b = self.new_client(self.args.user2, self.args.pass2, "pubsub", PLUGINS)
        events = self.watch(b)
        u1, u2 = self.args.user1, self.args.user2
        timeout = self.args.step_timeout
        await self.step(f"login {self.alice_jid}", self.login(a))
        await self.step(f"login {self.bob_jid}", self.login(b))

        async def discover():
            items = await b["xep_0030"].get_items(jid=self.args.domain, timeout=timeout)
            jids = [item[0] for item in items["disco_items"]["items"]]
            if self.service not in jids:
                raise StepFailed(f"{self.service} is not among the domain's items {jids}")
            info = await b["xep_0030"].get_info(jid=self.service, timeout=timeout)
            identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
            if ("pubsub", "service") not in identities:
                raise StepFailed(f"no pubsub/service identity in {sorted(identities)}")
            return f"{len(info['disco_info']['features'])} features"
        await self.step(f"{u2} discovers {self.service}", discover())

        async def create_and_subscribe():
            form = a["xep_0004"].make_form("submit")
            form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#node_config")
            form.add_field(var="pubsub#title", value=f"News {self.token}")
            form.add_field(var="pubsub#max_items", value="5")
            await a["xep_0060"].create_node(self.service, self.node, config=form, timeout=timeout)
            result = await b["xep_0060"].subscribe(self.service, self.node, bare=False, timeout=timeout)
            subscription = result["pubsub"]["subscription"]
            if subscription["subscription"] != "subscribed" or not subscription["subid"]:
                raise StepFailed(f"subscription is {subscription}")
            return f"subid {subscription['subid']}"
        await self.step(f"{u1} creates {self.node}, {u2} subscribes", create_and_subscribe())

        title = f"Hello {self.token}"

        async def publish_and_notify():
            entry = ET.fromstring(f"<entry xmlns='{ATOM}'><title>{title}</title></entry>")
            result = await a["xep_0060"].publish(self.service, self.node, id="first", payload=entry, timeout=timeout)
            if result["pubsub"]["publish"]["item"]["id"] != "first":
                raise StepFailed(f"publish result is {result}")
            msg = await self.expect(events, "publish")
            got = msg["pubsub_event"]["items"]["item"]["payload"].findtext(f"{{{ATOM}}}title")
            if got != title:
                raise StepFailed(f"notified title is {got!r}")
            return f"notification to {msg['to']}"
        await self.step(f"{u1} publishes, {u2} is notified", publish_and_notify())

        async def retrieve():
            result = await b["xep_0060"].get_items(self.service, self.node, timeout=timeout)
            ids = [item["id"] for item in result["pubsub"]["items"]["substanzas"]]
            if ids != ["first"]:
                raise StepFailed(f"items are {ids}")
            subscriptions = await b["xep_0060"].get_subscriptions(self.service, timeout=timeout)
            nodes = [s["node"] for s in subscriptions["pubsub"]["subscriptions"]["substanzas"]]
            # Accounts reused from earlier runs may hold other subscriptions too.
            if self.node not in nodes:
                raise StepFailed(f"no subscription to {self.node} among {nodes}")
            return "items and subscriptions"
        await self.step(f"{u2} retrieves the item and its subscriptions", retrieve())

        async def publisher_affiliation():
            entry = ET.fromstring(f"<entry xmlns='{ATOM}'><title>by {u2}</title></entry>")
            try:
                await b["xep_0060"].publish(self.service, self.node, id="second", payload=entry, timeout=timeout)
                raise StepFailed(f"{u2} published without being a publisher")
            except IqError as e:
                if e.condition != "forbidden":
                    raise StepFailed(f"refused with {e.condition}, not forbidden") from None
            await a["xep_0060"].modify_affiliations(self.service, self.node, [(self.bob_jid, "publisher")], timeout=timeout)
            await b["xep_0060"].publish(self.service, self.node, id="second", payload=entry, timeout=timeout)
            await self.expect(events, "publish")
            return "forbidden, then allowed"
        await self.step(f"{u1} makes {u2} a publisher", publisher_affiliation())

        async def retract_and_delete():
            await a["xep_0060"].retract(self.service, self.node, "first", notify=True, timeout=timeout)
            msg = await self.expect(events, "retract")
            retracted = msg["pubsub_event"]["items"]["retract"]["id"]
            await a["xep_0060"].delete_node(self.service, self.node, timeout=timeout)
            await self.expect(events, "delete")
            try:
                await a["xep_0060"].publish(self.service, self.node, id="third", payload=ET.fromstring(f"<entry xmlns='{ATOM}'/>"), timeout=timeout)
                raise StepFailed("published to a deleted node")
            except IqError as e:
                if e.condition != "item-not-found":
                    raise StepFailed(f"publish to a deleted node answered {e.condition}") from None
            return f"retract of {retracted}, delete"
        await self.step(f"{u1} retracts and deletes, {u2} is notified", retract_and_delete())


async def amain(args):
    return await run_scenario(PubsubRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
