"""Interop step groups for the modern client features of issue #3, loaded by slixmpp_interop.py.

Each group is an async function taking the runner (see slixmpp_interop.Runner: new_client, login, step, passed, chat)
and is listed in GROUPS. A group uses its own resources, so groups do not disturb each other.

  sm       XEP-0198: the socket of a client with stream management is killed while a message to it is in flight; the
           client resumes the session and gets the message.
  carbons  XEP-0280: with carbons enabled on two resources, a message received by one and a message sent by it are
           copied to the other.
  mam      XEP-0313 + XEP-0059: five archived messages are read back two per page across three pages, in order, the
           last page marked complete.
"""

import asyncio
import datetime


class _Events:
    """Futures for one-shot slixmpp events of a client."""

    def __init__(self, client, *names):
        loop = asyncio.get_running_loop()
        self.futures = {name: loop.create_future() for name in names}
        for name in names:
            client.add_event_handler(name, self._setter(name))

    def _setter(self, name):
        def handler(event):
            future = self.futures[name]
            if not future.done():
                future.set_result(event)
        return handler

    def reset(self, name):
        self.futures[name] = asyncio.get_running_loop().create_future()

    async def wait(self, name):
        return await self.futures[name]


async def run_sm(runner):
    args = runner.args
    a = runner.new_client(args.user1, args.pass1, resource="sm", plugins=["xep_0198"])
    events = _Events(a, "sm_enabled", "session_resumed", "sm_failed")
    b = runner.new_client(args.user2, args.pass2, resource="sm", plugins=["xep_0030"])
    await runner.step("sm login with stream management", runner.login(a))
    await runner.step("sm login sender", runner.login(b))

    async def enabled():
        stanza = await events.wait("sm_enabled")
        if not a["xep_0198"].sm_id or stanza["resume"] not in (True, "true", "1"):
            raise runner_failed("the server enabled stream management without resumption")
        return f"id {a['xep_0198'].sm_id[:8]}..."
    await runner.step("sm enabled with resumption", enabled())

    body = f"sent while the socket was dead {runner.token}"

    async def kill_with_message_in_flight():
        # Abort the TCP connection without closing the stream: the server still holds the session. The message is
        # sent to the session's full JID, so it is written to the dead connection or kept for the detached session,
        # unacknowledged either way.
        a.abort()
        b.send_message(mto=a.boundjid.full, mbody=body, mtype="chat")
        # An iq round trip from the sender proves the server has taken the message before the client comes back.
        await b.plugin["xep_0030"].get_info(jid=args.domain, timeout=args.step_timeout)
    await runner.step("sm socket killed with a message in flight", kill_with_message_in_flight())

    async def resume():
        a.start()
        done, _ = await asyncio.wait(
            [asyncio.ensure_future(events.wait("session_resumed")), asyncio.ensure_future(events.wait("sm_failed"))],
            return_when=asyncio.FIRST_COMPLETED)
        if events.futures["sm_failed"].done():
            raise runner_failed("the server refused to resume the session")
        return f"{a.boundjid.full} resumed"
    await runner.step("sm resumed", resume())

    async def delivered():
        await a.wait_message(b.boundjid.bare, body, args.step_timeout)
    await runner.step("sm message in flight delivered after resumption", delivered())


async def run_carbons(runner):
    args = runner.args
    a1 = runner.new_client(args.user1, args.pass1, resource="carbons1", plugins=["xep_0280"])
    # On the other node when the run has two (--port2): carbons must reach a resource there too.
    a2 = runner.new_client(args.user1, args.pass1, resource="carbons2", plugins=["xep_0280"], other_node=True)
    b = runner.new_client(args.user2, args.pass2, resource="carbons")
    copies = {"received": asyncio.Queue(), "sent": asyncio.Queue()}
    a2.add_event_handler("carbon_received", lambda msg: copies["received"].put_nowait(msg["carbon_received"]))
    a2.add_event_handler("carbon_sent", lambda msg: copies["sent"].put_nowait(msg["carbon_sent"]))
    await runner.step("carbons login first resource", runner.login(a1))
    await runner.step("carbons login second resource", runner.login(a2))
    await runner.step("carbons login contact", runner.login(b))

    async def enable():
        for client in (a1, a2):
            iq = await client["xep_0280"].enable(timeout=args.step_timeout)
            if iq["type"] != "result":
                raise runner_failed(f"enabling carbons on {client.boundjid.full} answered {iq['type']}")
    await runner.step("carbons enabled on both resources", enable())

    async def copy_of(kind, sender_bare, body):
        while True:
            forwarded = await copies[kind].get()
            if forwarded["from"].bare == sender_bare and forwarded["body"] == body:
                return f"copy from {forwarded['from']} to {forwarded['to']}"

    received_body = f"to the first resource {runner.token}"

    async def received():
        b.send_message(mto=a1.boundjid.full, mbody=received_body, mtype="chat")
        await a1.wait_message(b.boundjid.bare, received_body, args.step_timeout)
        return await copy_of("received", b.boundjid.bare, received_body)
    await runner.step("carbons received copy to the second resource", received())

    sent_body = f"from the first resource {runner.token}"

    async def sent():
        a1.send_message(mto=b.boundjid.full, mbody=sent_body, mtype="chat")
        return await copy_of("sent", a1.boundjid.bare, sent_body)
    await runner.step("carbons sent copy to the second resource", sent())


async def run_mam(runner):
    args = runner.args
    a = runner.new_client(args.user1, args.pass1, resource="mam", plugins=["xep_0313"])
    b = runner.new_client(args.user2, args.pass2, resource="mam")
    await runner.step("mam login owner", runner.login(a))
    await runner.step("mam login contact", runner.login(b))
    # Only messages of this group: archive entries from earlier groups are older than this.
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=10)
    bodies = [f"archived {i} {runner.token}" for i in range(5)]

    async def send_all():
        for body in bodies:
            b.send_message(mto=a.boundjid.full, mbody=body, mtype="chat")
            await a.wait_message(b.boundjid.bare, body, args.step_timeout)
        return f"{len(bodies)} messages"
    await runner.step("mam messages received (and archived)", send_all())

    async def page(after=None):
        rsm = {"max": 2}
        if after is not None:
            rsm["after"] = after
        iq = await a["xep_0313"].retrieve(start=since, with_jid=b.boundjid.bare, rsm=rsm, timeout=args.step_timeout)
        if iq["type"] != "result":
            raise runner_failed(f"the query answered {iq['type']}")
        found = [m["mam_result"]["forwarded"]["stanza"]["body"] for m in iq["mam"]["results"]]
        fin = iq["mam_fin"]
        return found, fin["rsm"]["last"], fin.xml.get("complete") in ("true", "1")

    async def paging():
        seen, after, pages, complete = [], None, 0, False
        while not complete:
            found, after, complete = await page(after)
            pages += 1
            if not found and not complete:
                raise runner_failed(f"page {pages} is empty but not marked complete")
            if len(found) > 2:
                raise runner_failed(f"page {pages} holds {len(found)} messages, more than max=2")
            seen.extend(found)
            if pages > 5:
                raise runner_failed("more pages than five messages can fill")
        if seen != bodies:
            raise runner_failed(f"read back {seen}, expected {bodies}")
        if pages != 3:
            raise runner_failed(f"{pages} pages for five messages at two per page")
        return f"{len(seen)} messages in {pages} pages, last one complete"
    await runner.step("mam query paged across three pages", paging())


def runner_failed(reason):
    # StepFailed lives in the main script; it is found at call time so this file stays importable on its own.
    import __main__
    failed = getattr(__main__, "StepFailed", RuntimeError)
    return failed(reason)


GROUPS = {
    "sm": run_sm,
    "carbons": run_carbons,
    "mam": run_mam,
}
