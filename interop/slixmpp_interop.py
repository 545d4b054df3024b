#!/usr/bin/python3
"""Interop check: a real third-party client (slixmpp) against a running server.

Run with Debian's system interpreter and its python3-slixmpp package:

    /usr/bin/python3 interop/slixmpp_interop.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

The two accounts must already exist. With --port2 (a second node of a
cluster), user2's clients and user1's second resources connect there, so
every step crosses nodes. The steps come in groups, run in order;
a failure ends its group, and the next group still runs. Group "im" (here):
  connect + STARTTLS + SCRAM + bind for both users (RFC 6120 §5, §6, §7),
  roster get, initial presence, mutual subscription (RFC 6121 §3),
  presence broadcast after subscription, chat messages both ways,
  an offline message delivered on reconnect with a XEP-0203 delay.
More groups live in the files interop/steps_*.py next to this script, each
with a GROUPS dict {name: async function(runner)}; see steps_modern.py
(stream management resumption, carbons, MAM paging). --groups picks some.
Each step prints `PASS [group] <step>` or `FAIL [group] <step>: <reason>`.
Exit status 0 only when every step of every selected group passed. Each step
waits at most --step-timeout seconds (default 10), each group at most
--timeout seconds (default 60).

Written for slixmpp 1.8 (Debian 12); it avoids APIs removed in later
versions (no process(), connect() is not awaited).
"""

import argparse
import asyncio
import glob
import importlib.util
import logging
import os
import ssl
import sys
import uuid

try:
    import slixmpp
except ImportError as e:  # pragma: no cover - environment problem
    print(f"FAIL import: slixmpp is not installed for {sys.executable} ({e}); "
          "apt-get install python3-slixmpp")
    sys.exit(2)

# Only SCRAM: PLAIN (and the rest) must never be chosen, so a server that
# offers no SCRAM mechanism fails the login step instead of passing on PLAIN.
SCRAM_MECHS = {
    "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS",
}


class StepFailed(Exception):
    """A step did not reach its expected outcome."""


class InteropClient(slixmpp.ClientXMPP):
    """A slixmpp client pinned to one host:port that records what it receives."""

    def __init__(self, jid, password, host, port, domain, plugins=()):
        super().__init__(jid, password, plugin_config={
            "feature_mechanisms": {"use_mechs": set(SCRAM_MECHS)},
        })
        for plugin in plugins:
            self.register_plugin(plugin)
        self._target_host = host
        self._target_port = port
        # Used as the TLS SNI / server_hostname; with an IP address in
        # connect() slixmpp would otherwise leave it empty.
        self.default_domain = domain
        # The server under test has a self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # Subscription requests are answered by the test itself, explicitly.
        self.roster.auto_authorize = None
        self.roster.auto_subscribe = False
        self.register_plugin("xep_0203")  # delayed delivery: msg['delay']

        loop = asyncio.get_running_loop()
        self.session_started = loop.create_future()
        self.messages = asyncio.Queue()
        self.presence_changed = asyncio.Event()
        self.available_from = set()     # bare JIDs currently seen available
        self.subscribed_from = set()    # bare JIDs that sent us 'subscribed'
        self.subscribe_from = set()     # bare JIDs that asked to subscribe
        self.roster_subs = {}           # bare JID -> subscription, from roster result/pushes
        self.fatal = None               # first connection/auth/stream error

        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("connection_failed", self._on_connection_failed)
        self.add_event_handler("failed_all_auth", self._on_failed_auth)
        self.add_event_handler("no_auth", self._on_no_auth)
        self.add_event_handler("stream_error", self._on_stream_error)
        self.add_event_handler("disconnected", self._on_disconnected)
        self.add_event_handler("message", self._on_message)
        self.add_event_handler("presence_available", self._on_available)
        self.add_event_handler("presence_unavailable", self._on_unavailable)
        self.add_event_handler("presence_subscribe", self._on_subscribe)
        self.add_event_handler("presence_subscribed", self._on_subscribed)
        self.add_event_handler("roster_update", self._on_roster)

    async def get_dns_records(self, domain, port=None):
        # Connect exactly where we were told: no SRV/A lookups of the domain.
        return [(self.default_domain, self._target_host, self._target_port)]

    def start(self):
        self.connect((self._target_host, self._target_port),
                     use_ssl=False, force_starttls=True, disable_starttls=False)

    # -- event handlers ---------------------------------------------------

    def _fail(self, reason):
        if self.fatal is None:
            self.fatal = reason
        if not self.session_started.done():
            self.session_started.set_exception(StepFailed(reason))
        self.presence_changed.set()

    def _on_session_start(self, _event):
        if not self.session_started.done():
            self.session_started.set_result(True)

    def _on_connection_failed(self, error):
        # slixmpp retries forever with back-off; one failure is enough here.
        self.cancel_connection_attempt()
        self._fail(f"connection failed: {error}")

    def _on_failed_auth(self, _event):
        offered = sorted(self["feature_mechanisms"].mech_list or [])
        if SCRAM_MECHS.isdisjoint(offered):
            self._fail(f"no SCRAM mechanism offered (server offered {offered})")
        else:
            self._fail(f"SASL authentication failed (server offered {offered})")

    def _on_no_auth(self, _event):
        self._on_failed_auth(_event)

    def _on_stream_error(self, error):
        self._fail(f"stream error: {error['condition']} {error['text']}".strip())

    def _on_disconnected(self, reason):
        if not self.session_started.done():
            self._fail(f"disconnected before session start ({reason})")

    def _on_message(self, msg):
        if msg["type"] in ("chat", "normal"):
            self.messages.put_nowait(msg)

    def _on_available(self, pres):
        self.available_from.add(pres["from"].bare)
        self.presence_changed.set()

    def _on_unavailable(self, pres):
        self.available_from.discard(pres["from"].bare)
        self.presence_changed.set()

    def _on_subscribe(self, pres):
        self.subscribe_from.add(pres["from"].bare)
        # RFC 6121 §3.1.4: approve by sending 'subscribed' to the bare JID.
        self.send_presence(pto=pres["from"].bare, ptype="subscribed")
        self.presence_changed.set()

    def _on_subscribed(self, pres):
        self.subscribed_from.add(pres["from"].bare)
        self.presence_changed.set()

    def _on_roster(self, iq):
        # Fired for the roster get result and for every roster push (RFC 6121 §2.1.6).
        for jid, item in iq["roster"]["items"].items():
            self.roster_subs[slixmpp.JID(jid).bare] = item["subscription"]
        self.presence_changed.set()

    # -- helpers used by the steps ----------------------------------------

    def tls_info(self):
        if self.transport is None:
            return None
        ssl_object = self.transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return None
        return f"{ssl_object.version()} {ssl_object.cipher()[0]}"

    async def wait_presence(self, predicate, timeout):
        """Wait until predicate() holds, re-checking on every presence change."""
        async def loop():
            while not predicate():
                if self.fatal:
                    raise StepFailed(self.fatal)
                self.presence_changed.clear()
                await self.presence_changed.wait()
        await asyncio.wait_for(loop(), timeout)

    async def wait_message(self, sender_bare, body, timeout):
        """Return the first chat/normal message from sender_bare with exactly this body."""
        async def loop():
            while True:
                msg = await self.messages.get()
                if msg["from"].bare == sender_bare and msg["body"] == body:
                    return msg
        return await asyncio.wait_for(loop(), timeout)

    async def close(self):
        if self.transport is not None:
            try:
                await asyncio.wait_for(self.disconnect(wait=1.0), 3)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - best effort
                self.abort()
        self.cancel_connection_attempt()


class Runner:
    """Runs the steps in order and prints PASS/FAIL lines."""

    def __init__(self, args):
        self.args = args
        self.alice_jid = f"{args.user1}@{args.domain}"
        self.bob_jid = f"{args.user2}@{args.domain}"
        self.clients = []
        self.token = uuid.uuid4().hex[:8]  # makes bodies unique per run
        self.group = "im"

    def port_for(self, user, other_node=False):
        """The port a client connects to: with --port2 (a cluster's second node), user2's clients and the clients
        asked for on the other node go there, so every step crosses nodes."""
        if self.args.port2 and (user == self.args.user2 or other_node):
            return self.args.port2
        return self.args.port

    def new_client(self, user, password, resource="interop", plugins=(), other_node=False):
        c = InteropClient(f"{user}@{self.args.domain}/{resource}-{self.token}", password,
                          self.args.host, self.port_for(user, other_node), self.args.domain, plugins)
        self.clients.append(c)
        return c

    def passed(self, name, detail=None):
        print(f"PASS [{self.group}] {name}" + (f" ({detail})" if detail else ""), flush=True)

    async def step(self, name, coro):
        try:
            detail = await asyncio.wait_for(coro, self.args.step_timeout)
        except asyncio.TimeoutError:
            raise StepFailed(f"{name}: timed out after {self.args.step_timeout:g} s") from None
        except StepFailed as e:
            raise StepFailed(f"{name}: {e}") from None
        self.passed(name, detail)

    async def login(self, client):
        client.start()
        await client.session_started
        tls = client.tls_info()
        if tls is None:
            raise StepFailed("session established without TLS")
        mech = client["feature_mechanisms"].mech
        mech_name = mech.name if mech is not None else "?"
        if mech_name not in SCRAM_MECHS:
            raise StepFailed(f"authenticated with {mech_name}, not SCRAM")
        roster = await client.get_roster(timeout=self.args.step_timeout)
        if roster is None or roster["type"] != "result":
            raise StepFailed("roster get did not return a result")
        client.send_presence()
        return f"{client.boundjid.full}, {tls}, {mech_name}"

    async def subscribe(self, user, contact, contact_bare):
        if user.roster_subs.get(contact_bare) in ("to", "both"):
            # Accounts reused from an earlier run: RFC 6121 §3.1.3/§3.1.6 the
            # server answers for the contact and delivers nothing, so there is
            # nothing to wait for.
            user.send_presence(pto=contact_bare, ptype="subscribe")
            return "already subscribed according to the roster"
        user.send_presence(pto=contact_bare, ptype="subscribe")
        # The contact's handler approves (RFC 6121 §3.1.4); the user must then
        # get the 'subscribed' presence and a roster push with subscription
        # 'to' or 'both' (§3.1.5, §3.1.6).
        await user.wait_presence(
            lambda: contact_bare in user.subscribed_from
            and user.roster_subs.get(contact_bare) in ("to", "both"),
            self.args.step_timeout)
        if user.boundjid.bare not in contact.subscribe_from:
            return "approved without the request reaching the contact (pre-approval?)"
        return f"approved, roster push subscription={user.roster_subs[contact_bare]}"

    async def see_available(self, a, b):
        await a.wait_presence(lambda: b.boundjid.bare in a.available_from, self.args.step_timeout)
        await b.wait_presence(lambda: a.boundjid.bare in b.available_from, self.args.step_timeout)

    async def chat(self, sender, receiver, body):
        sender.send_message(mto=receiver.boundjid.full, mbody=body, mtype="chat")
        await receiver.wait_message(sender.boundjid.bare, body, self.args.step_timeout)

    async def run_im(self):
        a = self.new_client(self.args.user1, self.args.pass1)
        b = self.new_client(self.args.user2, self.args.pass2)
        await self.step(f"login {self.alice_jid}", self.login(a))
        await self.step(f"login {self.bob_jid}", self.login(b))
        u1, u2 = self.args.user1, self.args.user2
        await self.step(f"subscribe {u1}->{u2}", self.subscribe(a, b, self.bob_jid))
        await self.step(f"subscribe {u2}->{u1}", self.subscribe(b, a, self.alice_jid))
        await self.step("presence after mutual subscription", self.see_available(a, b))
        await self.step(f"message {u1}->{u2}", self.chat(a, b, f"hello {u2} {self.token}"))
        await self.step(f"message {u2}->{u1}", self.chat(b, a, f"hello {u1} {self.token}"))

        async def bob_goes_offline():
            await b.close()
            # Once alice sees bob unavailable the server has ended his session,
            # so the next message must be stored offline.
            await a.wait_presence(lambda: self.bob_jid not in a.available_from,
                                  self.args.step_timeout)
        await self.step(f"{u2} offline", bob_goes_offline())

        offline_body = f"while you were away {self.token}"
        a.send_message(mto=self.bob_jid, mbody=offline_body, mtype="chat")
        self.passed("offline message sent")

        b2 = self.new_client(self.args.user2, self.args.pass2)
        await self.step(f"relogin {self.bob_jid}", self.login(b2))

        async def offline_delivery():
            msg = await b2.wait_message(self.alice_jid, offline_body, self.args.step_timeout)
            stamp = msg["delay"]["stamp"]
            if not stamp:
                raise StepFailed("offline message has no XEP-0203 <delay stamp=...>")
            return f"delay stamp {stamp.isoformat()}"
        await self.step("offline message delivered with delay", offline_delivery())

    async def close_all(self):
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)
        self.clients = []


def load_groups():
    """The step groups: "im" here, then those of interop/steps_*.py in file name order."""
    groups = {"im": Runner.run_im}
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "steps_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for group, run in module.GROUPS.items():
            if group in groups:
                raise SystemExit(f"step group '{group}' defined twice ({path})")
            groups[group] = run
    return groups


async def run_group(runner, name, run):
    """Runs one group to its end or first failure; returns whether every step passed."""
    runner.group = name
    try:
        await asyncio.wait_for(run(runner), runner.args.timeout)
        return True
    except StepFailed as e:
        step, _, reason = str(e).partition(": ")
        print(f"FAIL [{name}] {step}: {reason}", flush=True)
    except asyncio.TimeoutError:
        print(f"FAIL [{name}] overall: group exceeded {runner.args.timeout:g} s", flush=True)
    except Exception as e:  # noqa: BLE001 - any crash is a failed group, with its reason
        print(f"FAIL [{name}] unexpected: {type(e).__name__}: {e}", flush=True)
    finally:
        await runner.close_all()
    return False


async def amain(args):
    groups = load_groups()
    selected = list(groups) if not args.groups else args.groups.split(",")
    unknown = [g for g in selected if g not in groups]
    if unknown:
        print(f"FAIL arguments: unknown step group(s) {', '.join(unknown)}; known: {', '.join(groups)}", flush=True)
        return 2
    runner = Runner(args)
    failed = [name for name in selected if not await run_group(runner, name, groups[name])]
    print("ALL PASSED" if not failed else f"INTEROP FAILED: {', '.join(failed)}", flush=True)
    return 0 if not failed else 1


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--port2", type=int, help="a second cluster node's client port: user2 (and user1's second "
                   "resources) connect there")
    p.add_argument("--domain", default="localhost")
    p.add_argument("--user1", required=True)
    p.add_argument("--pass1", required=True)
    p.add_argument("--user2", required=True)
    p.add_argument("--pass2", required=True)
    p.add_argument("--step-timeout", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per step group")
    p.add_argument("--groups", help="comma-separated step groups to run (default: all)")
    p.add_argument("--debug", action="store_true", help="slixmpp debug log on stderr")
    return p.parse_args(argv)


async def run_scenario(runner, timeout):
    """Runs a scenario runner (run() and close_all()) to its end within timeout seconds; prints the verdict the tests
    read ("ALL PASSED" or "FAIL step: reason" then "INTEROP FAILED") and returns the exit code."""
    ok = False
    try:
        await asyncio.wait_for(runner.run(), timeout)
        ok = True
    except StepFailed as e:
        name, _, reason = str(e).partition(": ")
        print(f"FAIL {name}: {reason}", flush=True)
    except asyncio.TimeoutError:
        print(f"FAIL overall: run exceeded {timeout:g} s", flush=True)
    except Exception as e:  # noqa: BLE001 - any crash is a failed run, with its reason
        print(f"FAIL unexpected: {type(e).__name__}: {e}", flush=True)
    finally:
        await runner.close_all()
    print("ALL PASSED" if ok else "INTEROP FAILED", flush=True)
    return 0 if ok else 1


def run_script(amain, parse, argv=None):
    """The main of every interop script: parse the arguments, slixmpp's log on stderr only with --debug, run amain."""
    args = parse(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return asyncio.run(amain(args))


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
