#!/usr/bin/python3
"""PEP interop check: two slixmpp clients publish and receive personal events.

Run like slixmpp_interop.py (same options, same two existing accounts):

    /usr/bin/python3 interop/slixmpp_pep.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

Both clients load slixmpp's XEP-0115 (entity capabilities), XEP-0060/XEP-0163
(pubsub, PEP) and XEP-0118 (user tune) plugins, so their presence carries a caps
hash whose features include http://jabber.org/protocol/tune+notify, and they
answer the server's disco#info query for it. Steps:
  login of both users and mutual subscription (as in slixmpp_interop.py),
  the account's disco#info shows the pubsub/pep identity (XEP-0163 §6.1),
  user1 publishes a tune; user2 gets the notification through caps +notify
  (XEP-0163 §4.3.1) -- or, when the server learns user2's caps only after the
  publish, as the last published item (§4.3.4); either way exactly this tune,
  user2 retrieves the item (presence access model, the PEP default),
  user1 retracts it and user2 is notified of the retraction.
Output and exit status as in slixmpp_interop.py. Kept apart from that script
so that PEP and the other feature checks can grow independently.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_interop import InteropClient, Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402


TUNE = "http://jabber.org/protocol/tune"


class PepClient(InteropClient):
    """An interop client with caps, pubsub/PEP and user tune, queueing the tune events it gets."""

    def __init__(self, *args):
        super().__init__(*args)
        for plugin in ("xep_0030", "xep_0115", "xep_0060", "xep_0163", "xep_0118"):
            self.register_plugin(plugin)
        self.tune_events = asyncio.Queue()
        self.add_event_handler("user_tune_publish", lambda msg: self.tune_events.put_nowait(("publish", msg)))
        self.add_event_handler("user_tune_retract", lambda msg: self.tune_events.put_nowait(("retract", msg)))

    async def wait_tune(self, kind, sender_bare, predicate, timeout):
        async def loop():
            while True:
                got, msg = await self.tune_events.get()
                if got == kind and msg["from"].bare == sender_bare and predicate(msg):
                    return msg
        return await asyncio.wait_for(loop(), timeout)


class PepRunner(Runner):
    """The PEP steps, after the same logins and subscriptions as the IM run."""

    def new_client(self, user, password):
        c = PepClient(f"{user}@{self.args.domain}/pep-{self.token}", password,
                      self.args.host, self.port_for(user), self.args.domain)
        self.clients.append(c)
        return c

    async def run(self):
        a = self.new_client(self.args.user1, self.args.pass1)
        b = self.new_client(self.args.user2, self.args.pass2)
        u1, u2 = self.args.user1, self.args.user2
        await self.step(f"login {self.alice_jid}", self.login(a))
        await self.step(f"login {self.bob_jid}", self.login(b))
        await self.step(f"subscribe {u1}->{u2}", self.subscribe(a, b, self.bob_jid))
        await self.step(f"subscribe {u2}->{u1}", self.subscribe(b, a, self.alice_jid))
        await self.step("presence after mutual subscription", self.see_available(a, b))

        async def pep_identity():
            info = await b["xep_0030"].get_info(jid=self.alice_jid, timeout=self.args.step_timeout)
            identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
            if ("pubsub", "pep") not in identities:
                raise StepFailed(f"no pubsub/pep identity in {sorted(identities)}")
            features = info["disco_info"]["features"]
            if "http://jabber.org/protocol/pubsub#publish" not in features:
                raise StepFailed("pubsub#publish is not announced")
            return f"{len(features)} features"
        await self.step(f"{u1} is a PEP service", pep_identity())

        title = f"Heart of the Sunrise {self.token}"

        async def publish_and_notify():
            result = await a["xep_0118"].publish_tune(artist="Yes", title=title, timeout=self.args.step_timeout)
            if result["type"] != "result":
                raise StepFailed(f"publish answered {result['type']}")
            msg = await b.wait_tune("publish", self.alice_jid,
                                    lambda m: m["pubsub_event"]["items"]["item"]["tune"]["title"] == title,
                                    self.args.step_timeout)
            return f"notification to {msg['to']}"
        await self.step(f"{u1} publishes a tune, {u2} is notified (caps +notify)", publish_and_notify())

        async def retrieve():
            result = await b["xep_0060"].get_items(self.alice_jid, TUNE, timeout=self.args.step_timeout)
            titles = [item["payload"].findtext(f"{{{TUNE}}}title")
                      for item in result["pubsub"]["items"]["substanzas"]]
            if titles != [title]:
                raise StepFailed(f"items are {titles}")
            return "presence access model"
        await self.step(f"{u2} retrieves {u1}'s tune", retrieve())

        async def retract():
            await a["xep_0060"].retract(None, TUNE, "current", notify=True, timeout=self.args.step_timeout)
            msg = await b.wait_tune("retract", self.alice_jid, lambda m: True, self.args.step_timeout)
            return f"retract of {msg['pubsub_event']['items']['retract']['id']}"
        await self.step(f"{u1} retracts, {u2} is notified", retract())


async def amain(args):
    return await run_scenario(PepRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
