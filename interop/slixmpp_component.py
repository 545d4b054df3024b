#!/usr/bin/python3
"""Interop check: a tiny external component written with slixmpp's ComponentXMPP (XEP-0114).

Run with Debian's system interpreter and its python3-slixmpp package:

    /usr/bin/python3 interop/slixmpp_component.py --host 127.0.0.1 --port 5347 \
        --domain echo.localhost --secret SECRET --name py1

It connects in accept mode, prints `CONNECTED <name>` once the handshake is
done, and answers every message that has a body with `<name>: <body>` (same id
and type, from and to swapped), so that a test sees which instance of a
balanced component domain handled which message. It runs until killed or
until --timeout seconds (default 120) have passed; a failed connection or
handshake prints `FAIL <reason>` and exits non-zero.

Written for slixmpp 1.8 (Debian 12).
"""

import argparse
import asyncio
import logging
import sys

try:
    import slixmpp
except ImportError as e:  # pragma: no cover - environment problem
    print(f"FAIL import: slixmpp is not installed for {sys.executable} ({e}); "
          "apt-get install python3-slixmpp", flush=True)
    sys.exit(2)


class EchoComponent(slixmpp.ComponentXMPP):
    """Answers messages with the instance name, the way Rookery's echo service does."""

    def __init__(self, domain, secret, host, port, name):
        super().__init__(domain, secret, host, port)
        self.instance = name
        self.failed = None
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("message", self._on_message)
        self.add_event_handler("connection_failed", self._on_failure)
        self.add_event_handler("stream_error", self._on_failure)
        self.add_event_handler("disconnected", self._on_disconnected)

    def _on_start(self, _event):
        print(f"CONNECTED {self.instance}", flush=True)

    def _on_message(self, msg):
        if msg["type"] == "error" or not msg["body"]:
            return
        reply = self.make_message(mto=msg["from"], mfrom=msg["to"],
                                  mbody=f"{self.instance}: {msg['body']}",
                                  mtype=msg["type"])
        reply["id"] = msg["id"]
        reply.send()

    def _on_failure(self, event):
        self.failed = str(event)
        print(f"FAIL {self.instance}: {event}", flush=True)

    def _on_disconnected(self, _event):
        print(f"DISCONNECTED {self.instance}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="%(levelname)-8s %(message)s")

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    component = EchoComponent(args.domain, args.secret, args.host, args.port, args.name)
    component.connect()
    loop.run_until_complete(asyncio.sleep(args.timeout))
    component.disconnect()
    sys.exit(1 if component.failed else 0)


if __name__ == "__main__":
    main()
