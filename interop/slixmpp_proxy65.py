#!/usr/bin/python3
"""SOCKS5 Bytestreams proxy interop check: two slixmpp clients transfer bytes through the server's XEP-0065 proxy.

Run like slixmpp_interop.py (same options; user1 is the requester, user2 the target):

    /usr/bin/python3 interop/slixmpp_proxy65.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

The server needs its SOCKS5 listener open (Listeners:Proxy65, or rookery run --proxy65-port N) at the address its
streamhost names. Steps, all with slixmpp's own XEP-0065 plugin (xep_0065):
  login of both users (as in slixmpp_interop.py),
  discover_proxies: the proxy is found among the domain's disco#items by its proxy/bytestreams identity, with the
  host and port of its streamhost,
  handshake: user1 offers the proxy to user2 (who accepts), user2 connects to it, user1 connects and activates,
  1 MiB from user1 reaches user2 byte for byte, and 64 KiB from user2 reaches user1,
  user1 closes its socket and the proxy closes user2's,
  an activation of a stream that does not exist is refused with item-not-found.
Output and exit status as in slixmpp_interop.py.
"""

import asyncio
import hashlib
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_interop import InteropClient, Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402

UPLOAD = 1024 * 1024
DOWNLOAD = 64 * 1024


class StreamClient(InteropClient):
    """An interop client with slixmpp's XEP-0065 plugin that collects what arrives on its bytestream."""

    def __init__(self, *args):
        super().__init__(*args)
        loop = asyncio.get_running_loop()
        self.received = bytearray()
        self.data_arrived = asyncio.Event()
        self.stream = loop.create_future()   # the target's connection, once the requester's offer is accepted
        self.stream_closed = loop.create_future()
        self.add_event_handler("socks5_data", self._on_data)
        self.add_event_handler("socks5_stream", self._on_stream)
        self.add_event_handler("socks5_closed", self._on_closed)

    def _on_data(self, data):
        self.received.extend(data)
        self.data_arrived.set()

    def _on_stream(self, conn):
        if not self.stream.done():
            self.stream.set_result(conn)

    def _on_closed(self, _exc):
        if not self.stream_closed.done():
            self.stream_closed.set_result(True)

    async def receive(self, count):
        while len(self.received) < count:
            self.data_arrived.clear()
            await self.data_arrived.wait()
        return bytes(self.received[:count])


async def send_all(protocol, data, chunk=64 * 1024):
    """Writes through the plugin's protocol, which waits while the transport is paused (flow control)."""
    for start in range(0, len(data), chunk):
        await protocol.write(data[start:start + chunk])


class Proxy65Runner(Runner):
    """The bytestream steps of two clients."""

    def new_client(self, user, password, resource="s5b", plugins=(), other_node=False):
        c = StreamClient(f"{user}@{self.args.domain}/{resource}-{self.token}", password,
                         self.args.host, self.port_for(user, other_node), self.args.domain, ["xep_0030", "xep_0065"])
        self.clients.append(c)
        return c

    async def run(self):
        self.group = "proxy65"
        a = self.new_client(self.args.user1, self.args.pass1)
        b = self.new_client(self.args.user2, self.args.pass2)
        await self.step(f"login {self.alice_jid}", self.login(a))
        await self.step(f"login {self.bob_jid}", self.login(b))
        b["xep_0065"].auto_accept = True
        proxy_jid = f"proxy.{self.args.domain}"
        state = {}

        async def discover():
            proxies = await a["xep_0065"].discover_proxies(timeout=self.args.step_timeout)
            found = {str(jid): address for jid, address in proxies.items()}
            if proxy_jid not in found:
                raise StepFailed(f"{proxy_jid} not among the discovered proxies {sorted(found)}")
            host, port = found[proxy_jid]
            return f"{proxy_jid} at {host}:{port}"
        await self.step("discover_proxies finds the proxy and its streamhost", discover())

        async def handshake():
            sid = uuid.uuid4().hex
            state["sid"] = sid
            state["socket"] = await a["xep_0065"].handshake(b.boundjid, sid=sid, timeout=self.args.step_timeout)
            if state["socket"] is None:
                raise StepFailed("the handshake returned no socket (streamhost-used named an unknown proxy?)")
            state["target"] = await b.stream
            return f"sid {sid}, activated by {a.boundjid.full}"
        await self.step("handshake: target connects, requester connects and activates", handshake())

        async def upload():
            data = os.urandom(UPLOAD)
            await send_all(state["socket"], data)
            got = await b.receive(UPLOAD)
            if got != data:
                raise StepFailed(f"received {len(got)} bytes that differ from the {UPLOAD} sent")
            return f"{UPLOAD} bytes, sha256 {hashlib.sha256(got).hexdigest()[:16]}"
        await self.step("1 MiB from requester to target", upload())

        async def download():
            data = os.urandom(DOWNLOAD)
            await send_all(state["target"], data)
            got = await a.receive(DOWNLOAD)
            if got != data:
                raise StepFailed(f"received {len(got)} bytes that differ from the {DOWNLOAD} sent")
            return f"{DOWNLOAD} bytes"
        await self.step("64 KiB from target to requester", download())

        async def close():
            state["socket"].transport.close()
            await b.stream_closed
            return "target's connection closed by the proxy"
        await self.step("requester closes, the proxy closes the target", close())

        async def unknown_stream():
            from slixmpp.exceptions import IqError
            try:
                await a["xep_0065"].activate(proxy_jid, "no-such-" + state["sid"], b.boundjid, timeout=self.args.step_timeout)
            except IqError as e:
                condition = e.iq["error"]["condition"]
                if condition != "item-not-found":
                    raise StepFailed(f"refused with {condition}, not item-not-found") from None
                return "item-not-found"
            raise StepFailed("the proxy activated a stream nobody connected to")
        await self.step("activation of an unknown stream refused", unknown_stream())


async def amain(args):
    return await run_scenario(Proxy65Runner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
