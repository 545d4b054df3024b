#!/usr/bin/python3
"""HTTP File Upload interop check: slixmpp's XEP-0363 plugin uploads a file and the GET URL serves it back.

Run like slixmpp_interop.py (same options; only user1 is used, user2 must exist too):

    /usr/bin/python3 interop/slixmpp_upload.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

The server needs its HTTP listener (the upload service is on only then) at the URL its slots name, and slixmpp's
plugin needs aiohttp (Debian's python3-aiohttp). Steps:
  login of user1 (as in slixmpp_interop.py),
  the upload service is found among the domain's disco#items (identity store/file, feature
  urn:xmpp:http:upload:0) with its max-file-size (XEP-0128 form), as the plugin's own discovery would do it,
  upload_file: slot request, then PUT with Content-Length and Content-Type, as the plugin does it,
  the GET URL serves the same bytes with the same content type,
  a slot request over max-file-size is refused with not-acceptable and <file-too-large/> naming the limit.
Output and exit status as in slixmpp_interop.py.
"""

import asyncio
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_interop import InteropClient, Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402

NS = "urn:xmpp:http:upload:0"


class UploadRunner(Runner):
    """The upload steps of one client."""

    def new_client(self, user, password):
        c = InteropClient(f"{user}@{self.args.domain}/upload-{self.token}", password,
                          self.args.host, self.port_for(user), self.args.domain, ["xep_0030", "xep_0128", "xep_0363"])
        self.clients.append(c)
        return c

    async def run(self):
        self.group = "upload"
        a = self.new_client(self.args.user1, self.args.pass1)
        await self.step(f"login {self.alice_jid}", self.login(a))
        upload = a["xep_0363"]
        state = {}

        async def find_service():
            # COMPAT: the plugin's find_upload_service (xep_0030 get_info_from_domain) hands coroutines to asyncio.wait,
            # which Python 3.11 refuses (slixmpp 1.8.3 on Debian 12), so the same discovery is done here step by step
            # and handed to the plugin, whose upload_file then skips its own.
            disco = a["xep_0030"]
            items = await disco.get_items(jid=self.args.domain, timeout=self.args.step_timeout)
            for jid, _node, _name in items["disco_items"]["items"]:
                info = await disco.get_info(jid=jid, timeout=self.args.step_timeout)
                identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
                if ("store", "file") in identities and NS in info["disco_info"]["features"]:
                    state["service"] = info["from"]
                    for form in info["disco_info"].iterables:
                        values = form["values"]
                        if values.get("FORM_TYPE") in (NS, [NS]):
                            state["max"] = int(values["max-file-size"])
                    break
            if "service" not in state:
                raise StepFailed(f"no store/file service with {NS} among the items of {self.args.domain}")
            if "max" not in state:
                raise StepFailed("the service's disco#info has no max-file-size form")
            upload.upload_service = state["service"]
            upload.max_file_size = state["max"]
            return f"{state['service']}, max-file-size {state['max']}"
        await self.step("upload service found", find_service())

        body = f"uploaded by slixmpp {self.token}\n".encode() * 100
        name = f"interop {self.token} \u00fc.txt"

        async def upload_file():
            url = await upload.upload_file(name, size=len(body), content_type="text/plain",
                                           input_file=io.BytesIO(body), domain=self.args.domain,
                                           timeout=self.args.step_timeout)
            state["url"] = url
            return url
        await self.step("upload_file (slot request and PUT)", upload_file())

        async def download():
            from aiohttp import ClientSession
            async with ClientSession() as session:
                async with session.get(state["url"]) as response:
                    got = await response.read()
                    if response.status != 200:
                        raise StepFailed(f"GET answered {response.status}")
                    if got != body:
                        raise StepFailed(f"GET returned {len(got)} bytes, not the {len(body)} uploaded")
                    if response.content_type != "text/plain":
                        raise StepFailed(f"content type {response.content_type}, not text/plain")
                    return f"{len(got)} bytes, {response.headers.get('Content-Type')}"
        await self.step("GET URL serves the same bytes and type", download())

        async def too_large():
            from slixmpp.exceptions import IqError
            try:
                await upload.request_slot(state["service"], "big.bin", state["max"] + 1, timeout=self.args.step_timeout)
            except IqError as e:
                condition = e.iq["error"]["condition"]
                limit = e.iq.xml.find(f".//{{{NS}}}file-too-large/{{{NS}}}max-file-size")
                if condition != "not-acceptable" or limit is None or limit.text != str(state["max"]):
                    raise StepFailed(f"refused with {condition}, file-too-large limit "
                                     f"{None if limit is None else limit.text}") from None
                return f"not-acceptable, file-too-large {limit.text}"
            raise StepFailed("a slot over max-file-size was granted")
        await self.step("slot over max-file-size refused", too_large())


async def amain(args):
    return await run_scenario(UploadRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
