#!/usr/bin/python3
"""MUC interop check: slixmpp's XEP-0045 client against a running server.

Run with Debian's system interpreter and its python3-slixmpp package:

    /usr/bin/python3 interop/slixmpp_muc_interop.py --host 127.0.0.1 --port 5222 \
        --domain localhost --service conference.localhost \
        --user1 alice --pass1 s1 --user2 bob --pass2 s2 --user3 carol --pass3 s3

The three accounts must already exist. Steps (XEP-0045): user1 creates a room
(status 201) and configures it with the room configuration form (every
muc#roomconfig field present), says something before anyone else is there;
user2 joins with maxstanzas history and gets that message with a delay from the
room; user3 joins; a groupchat message of user2 reaches user1 and user3; user1
kicks user3 (status 307 reaches user3); user1 creates a members-only room and
user2 is refused with registration-required. One `PASS <step>` / `FAIL <step>:
<reason>` line per step, the first failure ends the run, exit status 0 only when
every step passed.
"""

import argparse
import asyncio
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slixmpp_interop import InteropClient, StepFailed, run_scenario, run_script  # noqa: E402

import slixmpp  # noqa: E402
from slixmpp.exceptions import PresenceError  # noqa: E402

MUC_USER = "http://jabber.org/protocol/muc#user"
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
CONFIG_FIELDS = [
    "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_changesubject",
    "muc#roomconfig_maxusers", "muc#roomconfig_presencebroadcast", "muc#roomconfig_publicroom",
    "muc#roomconfig_persistentroom", "muc#roomconfig_moderatedroom", "muc#roomconfig_membersonly",
    "muc#roomconfig_allowinvites", "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret",
    "muc#roomconfig_whois", "muc#roomconfig_enablelogging", "muc#roomconfig_roomadmins",
    "muc#roomconfig_roomowners",
]


def status_codes(stanza):
    return {s.get("code") for s in stanza.xml.findall(f"{{{MUC_USER}}}x/{{{MUC_USER}}}status")}


class MucClient(InteropClient):
    """The interop client with XEP-0045 and XEP-0004, recording groupchat traffic."""

    def __init__(self, *args):
        super().__init__(*args)
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.groupchat = asyncio.Queue()
        self.unavailable = asyncio.Queue()
        self.add_event_handler("groupchat_message", lambda m: self.groupchat.put_nowait(m))
        # Room presence goes to the MUC plugin's events, not to the roster's presence_unavailable.
        self.add_event_handler("groupchat_presence", self._on_groupchat_presence)

    def _on_groupchat_presence(self, pres):
        if pres["type"] == "unavailable":
            self.unavailable.put_nowait(pres)

    async def wait_groupchat(self, sender, body, timeout):
        async def loop():
            while True:
                msg = await self.groupchat.get()
                if msg["from"] == sender and msg["body"] == body:
                    return msg
        return await asyncio.wait_for(loop(), timeout)

    async def wait_unavailable(self, occupant, timeout):
        async def loop():
            while True:
                pres = await self.unavailable.get()
                if pres["from"] == occupant:
                    return pres
        return await asyncio.wait_for(loop(), timeout)


class MucRunner:
    """Runs the MUC steps in order and prints PASS/FAIL lines."""

    def __init__(self, args):
        self.args = args
        self.token = uuid.uuid4().hex[:8]
        self.room = slixmpp.JID(f"interop-{self.token}@{args.service}")
        self.club = slixmpp.JID(f"club-{self.token}@{args.service}")
        self.clients = []

    def new_client(self, user, password):
        # With --port2/--port3 (a cluster's other nodes) user2 and user3 join from there: the room's occupants are
        # spread over the nodes.
        port = {self.args.user2: self.args.port2, self.args.user3: self.args.port3}.get(user) or self.args.port
        c = MucClient(f"{user}@{self.args.domain}/muc-{self.token}", password,
                      self.args.host, port, self.args.domain)
        self.clients.append(c)
        return c

    async def step(self, name, coro):
        try:
            detail = await asyncio.wait_for(coro, self.args.step_timeout)
        except asyncio.TimeoutError:
            raise StepFailed(f"{name}: timed out after {self.args.step_timeout:g} s") from None
        except StepFailed as e:
            raise StepFailed(f"{name}: {e}") from None
        print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)

    @staticmethod
    async def login(client):
        client.start()
        await client.session_started
        client.send_presence()
        return client.boundjid.full

    async def create(self, owner, room, nick, fields):
        muc = owner.plugin["xep_0045"]
        stanza = owner.make_presence(pto=f"{room}/{nick}")
        stanza.enable("muc_join")
        muc.rooms[room] = {}
        muc.our_nicks[room] = nick
        waiter = asyncio.get_running_loop().create_future()

        def on_self(pres):
            if not waiter.done():
                waiter.set_result(pres)
        owner.add_event_handler(f"muc::{room}::self-presence", on_self)
        stanza.send()
        pres = await waiter
        owner.del_event_handler(f"muc::{room}::self-presence", on_self)
        if "201" not in status_codes(pres):
            raise StepFailed(f"no status 201 on creating {room}: {pres}")
        form = await muc.get_room_config(room)
        present = set(form.get_fields().keys())
        missing = [f for f in CONFIG_FIELDS if f not in present]
        if missing:
            raise StepFailed(f"configuration form lacks {missing}")
        submit = owner.plugin["xep_0004"].make_form(ftype="submit")
        submit.add_field(var="FORM_TYPE", ftype="hidden", value=ROOMCONFIG)
        for var, value in fields.items():
            submit.add_field(var=var, value=value)
        await muc.set_room_config(room, submit)
        return f"{len(present)} fields, submitted {sorted(fields)}"

    async def run(self):
        a = self.new_client(self.args.user1, self.args.pass1)
        b = self.new_client(self.args.user2, self.args.pass2)
        c = self.new_client(self.args.user3, self.args.pass3)
        for client in (a, b, c):
            await self.step(f"login {client.boundjid.bare or client.requested_jid.bare}", self.login(client))

        await self.step("create room and submit config form",
                        self.create(a, self.room, "Alice", {"muc#roomconfig_roomname": "Interop room"}))

        early = f"before you came {self.token}"

        async def say_early():
            a.send_message(mto=self.room, mbody=early, mtype="groupchat")
            await a.wait_groupchat(slixmpp.JID(f"{self.room}/Alice"), early, self.args.step_timeout)
        await self.step("groupchat with only the owner", say_early())

        async def join_with_history():
            _pres, _subject, _occupants, history = await b.plugin["xep_0045"].join_muc_wait(
                self.room, "Bob", maxstanzas=5, timeout=self.args.step_timeout)
            bodies = [m["body"] for m in history]
            if early not in bodies:
                raise StepFailed(f"history lacks the earlier message (got {bodies})")
            return f"{len(history)} history message(s)"
        await self.step("join with history", join_with_history())

        async def join_third():
            await c.plugin["xep_0045"].join_muc_wait(self.room, "Carol", maxstanzas=0, timeout=self.args.step_timeout)
        await self.step("third occupant joins", join_third())

        hello = f"hello room {self.token}"

        async def groupchat_to_two():
            b.send_message(mto=self.room, mbody=hello, mtype="groupchat")
            sender = slixmpp.JID(f"{self.room}/Bob")
            await a.wait_groupchat(sender, hello, self.args.step_timeout)
            await c.wait_groupchat(sender, hello, self.args.step_timeout)
        await self.step("groupchat reaches two occupants", groupchat_to_two())

        async def kick():
            await a.plugin["xep_0045"].set_role(self.room, "Carol", "none", reason="interop")
            pres = await c.wait_unavailable(slixmpp.JID(f"{self.room}/Carol"), self.args.step_timeout)
            codes = status_codes(pres)
            if "307" not in codes:
                raise StepFailed(f"kicked occupant got status codes {sorted(codes)}, not 307")
            return "status " + ",".join(sorted(codes))
        await self.step("kick", kick())

        await self.step("create members-only room",
                        self.create(a, self.club, "Alice", {"muc#roomconfig_membersonly": True}))

        async def refused():
            try:
                await b.plugin["xep_0045"].join_muc_wait(self.club, "Bob", timeout=self.args.step_timeout)
            except PresenceError as e:
                if e.condition != "registration-required":
                    raise StepFailed(f"refused with {e.condition}, not registration-required") from None
                return "registration-required"
            raise StepFailed("a non-member entered a members-only room")
        await self.step("members-only refusal", refused())

    async def close_all(self):
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)


async def amain(args):
    return await run_scenario(MucRunner(args), args.timeout)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--port2", type=int, help="client port of a second cluster node, for user2")
    p.add_argument("--port3", type=int, help="client port of a third cluster node, for user3")
    p.add_argument("--domain", default="localhost")
    p.add_argument("--service", help="MUC service domain (default conference.<domain>)")
    for i in (1, 2, 3):
        p.add_argument(f"--user{i}", required=True)
        p.add_argument(f"--pass{i}", required=True)
    p.add_argument("--step-timeout", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=90.0)
    p.add_argument("--debug", action="store_true", help="slixmpp debug log on stderr")
    args = p.parse_args(argv)
    if args.service is None:
        args.service = f"conference.{args.domain}"
    return args


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
