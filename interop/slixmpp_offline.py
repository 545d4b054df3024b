#!/usr/bin/python3
"""Flexible offline message retrieval (XEP-0013) interop check with slixmpp's xep_0013 plugin.

Run like slixmpp_interop.py (same options, same two existing accounts):

    /usr/bin/python3 interop/slixmpp_offline.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

Steps: user1 logs in and sends user2 (who is offline) two chat messages; user2
logs in WITHOUT sending presence and, through the plugin, counts the messages
(disco#info of the offline node, XEP-0128 number_of_messages), lists their
headers (disco#items: sender full JIDs), views the first (it arrives with its
node), removes it, sends initial presence and gets no flood (XEP-0013 §2.2),
fetches the rest (still stored afterwards) and purges them.
Output and exit status as in slixmpp_interop.py.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_interop import Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402


OFFLINE = "http://jabber.org/protocol/offline"
DATA = "jabber:x:data"
ITEMS = "http://jabber.org/protocol/disco#items"


def number_of_messages(info):
    """The XEP-0128 number_of_messages of a disco#info result, read from the XML (no xep_0128 plugin needed)."""
    for field in info.xml.iter(f"{{{DATA}}}field"):
        if field.get("var") == "number_of_messages":
            return field.findtext(f"{{{DATA}}}value")
    return None


def headers_of(items):
    """(node, name) of each item of a disco#items result, in order."""
    return [(i.get("node"), i.get("name")) for i in items.xml.iter(f"{{{ITEMS}}}item")]


def node_of(message):
    item = message.xml.find(f"{{{OFFLINE}}}offline/{{{OFFLINE}}}item")
    return None if item is None else item.get("node")


async def collect(call, *args, timeout):
    """Runs a plugin call that reports only through a callback (view, fetch, remove, purge return nothing to await;
    view and fetch even call the callback unconditionally)."""
    done = asyncio.get_running_loop().create_future()
    call(*args, timeout=timeout, callback=lambda iq: done.done() or done.set_result(iq))
    return await asyncio.wait_for(done, timeout)


class OfflineRunner(Runner):
    """The XEP-0013 steps: one sender, one recipient that retrieves flexibly."""

    async def start_without_presence(self, client):
        client.start()
        await client.session_started
        return client.boundjid.full

    async def run(self):
        self.group = "offline"
        a = self.new_client(self.args.user1, self.args.pass1, plugins=("xep_0030",))
        u1, u2 = self.args.user1, self.args.user2
        await self.step(f"login {self.alice_jid}", self.login(a))
        bodies = [f"first {self.token}", f"second {self.token}"]
        for body in bodies:
            a.send_message(mto=self.bob_jid, mbody=body, mtype="chat")

        async def stored():
            # The server handles a client's stanzas in order: once this answers, both messages are stored.
            await a["xep_0030"].get_info(jid=self.args.domain, timeout=self.args.step_timeout)
            return "stored offline"
        await self.step(f"{u1} sends {u2} two messages while {u2} is offline", stored())

        b = self.new_client(self.args.user2, self.args.pass2, plugins=("xep_0030", "xep_0013"))
        await self.step(f"login {self.bob_jid} without presence", self.start_without_presence(b))

        async def count():
            info = await b["xep_0013"].get_count(timeout=self.args.step_timeout)
            number = number_of_messages(info)
            if number != "2":
                raise StepFailed(f"number_of_messages is {number!r}")
            return "2 messages"
        await self.step("count (disco#info of the offline node)", count())

        headers = []

        async def list_headers():
            items = await b["xep_0013"].get_headers(timeout=self.args.step_timeout)
            headers.extend(headers_of(items))
            senders = {name for (_node, name) in headers}
            if len(headers) != 2 or senders != {a.boundjid.full}:
                raise StepFailed(f"headers are {headers}")
            return ", ".join(node for (node, _name) in headers)
        await self.step("headers (disco#items of the offline node)", list_headers())

        async def view_first():
            node = headers[0][0]
            result = await collect(b["xep_0013"].view, [node], timeout=self.args.step_timeout)
            if result["type"] != "result":
                raise StepFailed(f"view answered {result['type']}")
            got = [(m["body"], node_of(m)) for m in result["offline"]["results"]]
            if got != [(bodies[0], node)]:
                raise StepFailed(f"viewed {got}")
            return f"node {node}"
        await self.step("view one message", view_first())

        async def remove_first():
            removed = await collect(b["xep_0013"].remove, [headers[0][0]], timeout=self.args.step_timeout)
            if removed["type"] != "result":
                raise StepFailed(f"remove answered {removed['type']}")
            items = await b["xep_0013"].get_headers(timeout=self.args.step_timeout)
            left = [node for (node, _name) in headers_of(items)]
            if left != [headers[1][0]]:
                raise StepFailed(f"left after removal: {left}")
            return "1 left"
        await self.step("remove it", remove_first())

        async def no_flood():
            while not b.messages.empty():
                b.messages.get_nowait()
            b.send_presence()
            # The server answers in order: the flood, had there been one, would precede this reply.
            await b["xep_0030"].get_info(jid=self.args.domain, timeout=self.args.step_timeout)
            if not b.messages.empty():
                raise StepFailed(f"flooded with {b.messages.get_nowait()['body']!r}")
            return "none"
        await self.step("initial presence after flexible retrieval brings no flood", no_flood())

        async def fetch_all():
            result = await collect(b["xep_0013"].fetch, timeout=self.args.step_timeout)
            if result["type"] != "result":
                raise StepFailed(f"fetch answered {result['type']}")
            got = [m["body"] for m in result["offline"]["results"]]
            if got != [bodies[1]]:
                raise StepFailed(f"fetched {got}")
            info = await b["xep_0013"].get_count(timeout=self.args.step_timeout)
            if number_of_messages(info) != "1":
                raise StepFailed("fetch removed messages")
            return "still stored"
        await self.step("fetch all", fetch_all())

        async def purge_all():
            purged = await collect(b["xep_0013"].purge, timeout=self.args.step_timeout)
            if purged["type"] != "result":
                raise StepFailed(f"purge answered {purged['type']}")
            info = await b["xep_0013"].get_count(timeout=self.args.step_timeout)
            number = number_of_messages(info)
            if number != "0":
                raise StepFailed(f"number_of_messages is {number!r} after purge")
            return "0 left"
        await self.step(f"purge ({u2})", purge_all())


async def amain(args):
    return await run_scenario(OfflineRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
