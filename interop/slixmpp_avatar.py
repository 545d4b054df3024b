#!/usr/bin/python3
"""Avatar conversion interop check (XEP-0398): a PEP avatar client and a vCard avatar client see each other's avatars.

Run like slixmpp_interop.py (same options, same two existing accounts):

    /usr/bin/python3 interop/slixmpp_avatar.py --host 127.0.0.1 --port 5222 \
        --domain localhost --user1 alice --pass1 secret1 --user2 bob --pass2 secret2

user1 is a modern client with slixmpp's XEP-0084 (User Avatar over PEP) plugin only;
user2 is an old-style client with XEP-0054 (vcard-temp) and XEP-0153 (vCard-based
avatars). Steps:
  login of both users and mutual subscription (as in slixmpp_interop.py),
  user1's account announces urn:xmpp:pep-vcard-conversion:0 (XEP-0398 §2),
  user1 publishes an avatar with XEP-0084 (data, then metadata); user2 reads the
  same bytes from user1's vCard PHOTO (§3.1),
  user1 sends presence (without any vcard-temp:x:update of its own); user2 gets
  it with the avatar's SHA-1 in <photo/> (§4),
  user2 sets a vCard avatar with XEP-0153; user1 reads its metadata and data from
  user2's PEP nodes (§3.2).
Output and exit status as in slixmpp_interop.py.
"""

import asyncio
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from slixmpp_interop import Runner, StepFailed, parse_args, run_scenario, run_script  # noqa: E402

FEATURE = "urn:xmpp:pep-vcard-conversion:0"
DATA = "urn:xmpp:avatar:data"
METADATA = "urn:xmpp:avatar:metadata"


def png(marker):
    """The start of a 48x32 PNG (signature and IHDR chunk) and a marker: enough for the server, unique per image."""
    return (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (48).to_bytes(4, "big") + (32).to_bytes(4, "big")
            + b"\x08\x06\x00\x00\x00" + marker)


class AvatarRunner(Runner):
    """The avatar steps, after the same logins and subscriptions as the IM run."""

    async def run(self):
        a = self.new_client(self.args.user1, self.args.pass1, resource="pep",
                            plugins=("xep_0030", "xep_0060", "xep_0163", "xep_0084"))
        b = self.new_client(self.args.user2, self.args.pass2, resource="vcard",
                            plugins=("xep_0030", "xep_0060", "xep_0054", "xep_0153"))
        u1, u2 = self.args.user1, self.args.user2
        photos = asyncio.Queue()
        b.add_event_handler("presence_away", lambda p: photos.put_nowait(p) if p["from"].bare == self.alice_jid else None)
        await self.step(f"login {self.alice_jid}", self.login(a))
        await self.step(f"login {self.bob_jid}", self.login(b))
        await self.step(f"subscribe {u1}->{u2}", self.subscribe(a, b, self.bob_jid))
        await self.step(f"subscribe {u2}->{u1}", self.subscribe(b, a, self.alice_jid))
        await self.step("presence after mutual subscription", self.see_available(a, b))

        async def feature():
            info = await b["xep_0030"].get_info(jid=self.alice_jid, timeout=self.args.step_timeout)
            if FEATURE not in info["disco_info"]["features"]:
                raise StepFailed(f"{FEATURE} is not announced")
            return FEATURE
        await self.step(f"{u1}'s account announces the conversion", feature())

        image1 = png(self.token.encode())
        hash1 = hashlib.sha1(image1).hexdigest()

        async def pep_to_vcard():
            await a["xep_0084"].publish_avatar(image1, timeout=self.args.step_timeout)
            await a["xep_0084"].publish_avatar_metadata(
                items=[{"id": hash1, "type": "image/png", "bytes": len(image1)}], timeout=self.args.step_timeout)
            vcard = await b["xep_0054"].get_vcard(self.alice_jid, timeout=self.args.step_timeout)
            photo = vcard["vcard_temp"]["PHOTO"]
            if photo["BINVAL"] != image1:
                raise StepFailed(f"the vCard PHOTO holds {len(photo['BINVAL'] or b'')} other bytes")
            return f"PHOTO of {photo['TYPE']}, {len(image1)} bytes"
        await self.step(f"{u1} publishes a PEP avatar, {u2} reads it from the vCard", pep_to_vcard())

        async def presence_hash():
            a.send_presence(pshow="away")
            while True:
                pres = await photos.get()
                got = pres["vcard_temp_update"]["photo"]
                if got == hash1:
                    return f"photo {got}"
        await self.step(f"{u1}'s presence carries the avatar hash", presence_hash())

        image2 = png(self.token.encode() + b"-vcard")
        hash2 = hashlib.sha1(image2).hexdigest()

        async def vcard_to_pep():
            await b["xep_0153"].set_avatar(avatar=image2, mtype="image/png", timeout=self.args.step_timeout)
            result = await a["xep_0060"].get_items(self.bob_jid, METADATA, timeout=self.args.step_timeout)
            items = result["pubsub"]["items"]["substanzas"]
            if not items or items[0]["id"] != hash2:
                raise StepFailed(f"metadata items are {[i['id'] for i in items]}, not {hash2}")
            info = items[0]["payload"].find(f"{{{METADATA}}}info")
            if info is None or info.get("type") != "image/png" or info.get("bytes") != str(len(image2)):
                raise StepFailed("the metadata info does not describe the image")
            data = await a["xep_0060"].get_item(self.bob_jid, DATA, hash2, timeout=self.args.step_timeout)
            payload = data["pubsub"]["items"]["item"]["payload"]
            if base64.b64decode(payload.text or "") != image2:
                raise StepFailed("the data item holds other bytes")
            return f"metadata and data {hash2}"
        await self.step(f"{u2} sets a vCard avatar, {u1} reads it from PEP", vcard_to_pep())


async def amain(args):
    return await run_scenario(AvatarRunner(args), args.timeout)


def main(argv=None):
    return run_script(amain, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
