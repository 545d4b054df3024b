#!/usr/bin/python3
"""Bookmarks conversion interop check (XEP-0411, XEP-0402 §5.3) with slixmpp.

Run like slixmpp_interop.py (same options; only the first account is used):

    /usr/bin/python3 interop/slixmpp_bookmarks.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

Two resources of user1: a legacy one with slixmpp's XEP-0048/XEP-0049 plugins
(bookmarks in private XML storage) and a modern one with XEP-0115 caps and
XEP-0060/XEP-0163, whose caps carry urn:xmpp:bookmarks:1+notify. Steps:
  login of both resources,
  the account's disco#info announces urn:xmpp:bookmarks-conversion:0 and
  urn:xmpp:bookmarks:1#compat,
  legacy stores a room with slixmpp's set_bookmarks (private storage); modern
  gets the XEP-0402 notification for that room and retrieves the item,
  modern publishes a second room as an XEP-0402 item; legacy's get_bookmarks
  (private storage) lists both rooms, name, nick and autojoin included.
slixmpp (1.8) has no XEP-0402 plugin, so the modern client uses its pubsub
plugin with the XEP-0402 payload. Output and exit status as in
slixmpp_interop.py.
"""

import asyncio
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp.plugins.xep_0048.stanza import Bookmarks  # noqa: E402

from slixmpp_interop import InteropClient, Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402


NATIVE = "urn:xmpp:bookmarks:1"
LEGACY = "storage:bookmarks"


class ModernClient(InteropClient):
    """A client on XEP-0402 bookmarks: caps with the +notify interest, queueing the bookmark events it gets."""

    def __init__(self, *args):
        super().__init__(*args)
        for plugin in ("xep_0030", "xep_0115", "xep_0060", "xep_0163"):
            self.register_plugin(plugin)
        # At session bind, as slixmpp's own PEP plugins do: added in __init__ (slixmpp 1.8.3), the caps hash the client
        # announced did not match the features it answered with, so the server never trusted it (XEP-0115 §5.4).
        self.add_event_handler("session_bind", lambda _: self["xep_0163"].add_interest(NATIVE))
        self.bookmark_events = asyncio.Queue()
        self.add_event_handler("pubsub_publish", self._on_publish)

    def _on_publish(self, msg):
        if msg["pubsub_event"]["items"]["node"] == NATIVE:
            self.bookmark_events.put_nowait(msg)

    async def wait_bookmark(self, room, timeout):
        async def loop():
            while True:
                msg = await self.bookmark_events.get()
                if msg["pubsub_event"]["items"]["item"]["id"] == room:
                    return msg
        return await asyncio.wait_for(loop(), timeout)


class LegacyClient(InteropClient):
    """A client on XEP-0048 bookmarks in private XML storage (XEP-0049)."""

    def __init__(self, *args):
        super().__init__(*args)
        for plugin in ("xep_0030", "xep_0049", "xep_0048"):
            self.register_plugin(plugin)


class BookmarksRunner(Runner):
    """The conversion steps between a private-storage client and an XEP-0402 client of the same account."""

    def client(self, cls, resource):
        c = cls(f"{self.args.user1}@{self.args.domain}/{resource}-{self.token}", self.args.pass1,
                self.args.host, self.port_for(self.args.user1), self.args.domain)
        self.clients.append(c)
        return c

    async def run(self):
        self.group = "bookmarks"
        legacy = self.client(LegacyClient, "legacy")
        modern = self.client(ModernClient, "modern")
        await self.step(f"login {legacy.boundjid.bare} (legacy)", self.login(legacy))
        await self.step(f"login {modern.boundjid.bare} (modern)", self.login(modern))
        timeout = self.args.step_timeout
        room1 = f"play-{self.token}@conference.{self.args.domain}"
        room2 = f"orchard-{self.token}@conference.{self.args.domain}"

        async def announced():
            info = await modern["xep_0030"].get_info(jid=self.alice_jid, timeout=timeout)
            features = info["disco_info"]["features"]
            missing = [f for f in ("urn:xmpp:bookmarks-conversion:0", NATIVE + "#compat") if f not in features]
            if missing:
                raise StepFailed(f"not announced: {missing}")
            return "bookmarks-conversion:0, bookmarks:1#compat"
        await self.step("the account announces the conversion", announced())

        async def store_room(name):
            bookmarks = Bookmarks()
            bookmarks.add_conference(room1, "Romeo", name=name, autojoin=True)
            result = await legacy["xep_0048"].set_bookmarks(bookmarks, method="xep_0049", timeout=timeout)
            if result["type"] != "result":
                raise StepFailed(f"private set answered {result['type']}")

        async def private_to_native():
            # The server learns modern's caps (and so its +notify) from a disco#info query answered on the client's own
            # schedule, and tells it nothing before. Each try names the room anew, so that each is a change.
            for attempt in range(1, 11):
                await store_room("The Play" if attempt == 1 else f"The Play ({attempt})")
                try:
                    msg = await modern.wait_bookmark(room1, 1)
                except asyncio.TimeoutError:
                    continue
                if attempt > 1:
                    await store_room("The Play")
                return f"notification to {msg['to']} (write {attempt})"
            raise StepFailed("no XEP-0402 notification after 10 private-storage writes")
        await self.step("legacy stores a room in private storage, modern gets the XEP-0402 item", private_to_native())

        async def fetch():
            result = await modern["xep_0060"].get_items(self.alice_jid, NATIVE, timeout=timeout)
            items = {item["id"]: item["payload"] for item in result["pubsub"]["items"]["substanzas"]}
            conference = items.get(room1)
            if conference is None:
                raise StepFailed(f"items are {sorted(items)}")
            nick = conference.findtext(f"{{{NATIVE}}}nick")
            if conference.get("name") != "The Play" or conference.get("autojoin") != "true" or nick != "Romeo":
                raise StepFailed(f"conference is {ET.tostring(conference).decode()}")
            return "name, autojoin and nick carried over"
        await self.step("modern retrieves the XEP-0402 items", fetch())

        async def native_to_private():
            payload = ET.fromstring(f"<conference xmlns='{NATIVE}' name='The Orchard'><nick>Juliet</nick></conference>")
            result = await modern["xep_0060"].publish(self.alice_jid, NATIVE, id=room2, payload=payload, timeout=timeout)
            if result["type"] != "result":
                raise StepFailed(f"publish answered {result['type']}")
            got = await legacy["xep_0048"].get_bookmarks(method="xep_0049", timeout=timeout)
            storage = got.xml.find(f".//{{{LEGACY}}}storage")
            rooms = {c.get("jid"): c for c in storage.findall(f"{{{LEGACY}}}conference")} if storage is not None else {}
            if set(rooms) != {room1, room2}:
                raise StepFailed(f"private list has {sorted(rooms)}")
            if rooms[room2].get("name") != "The Orchard" or rooms[room2].findtext(f"{{{LEGACY}}}nick") != "Juliet":
                raise StepFailed(f"converted room is {ET.tostring(rooms[room2]).decode()}")
            return "both rooms in private storage"
        await self.step("modern publishes an XEP-0402 item, legacy reads it from private storage", native_to_private())


async def amain(args):
    return await run_scenario(BookmarksRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
