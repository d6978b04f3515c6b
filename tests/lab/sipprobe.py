"""A minimal SIP user agent for tests: one request over UDP, and its answers.

Used against a real Asterisk on a loopback address to check what a stranger on
the network can and cannot do. It speaks just enough SIP for that; calls with
media are placed with SIPp.
"""

from __future__ import annotations

import hashlib
import re
import socket
import time
import uuid
from dataclasses import dataclass, field

FINAL = 200
CHALLENGES = {401: "Authorization", 407: "Proxy-Authorization"}


@dataclass
class SipResponse:
    """A parsed SIP response: status code, reason and headers (names lower-cased)."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Dialog:
    """What stays the same across the requests of one probe."""

    method: str
    uri: str
    user: str
    host: str
    local: str
    from_user: str = ""
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def message(
        self,
        method: str,
        cseq: int,
        branch: str,
        *,
        to_tag: str = "",
        auth: str = "",
        body: str = "",
    ) -> str:
        via = f"SIP/2.0/UDP {self.local};branch={branch};rport"
        extra = f";tag={to_tag}" if to_tag else ""
        content = ("Content-Type: application/sdp\r\n" if body else "") + auth
        return (
            f"{method} {self.uri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n"
            f"From: <sip:{self.from_user or self.user}@{self.host}>;tag={self.tag}\r\n"
            f"To: <sip:{self.user}@{self.host}>{extra}\r\n"
            f"Call-ID: {self.call_id}\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:{self.user}@{self.local}>\r\n{content}"
            f"User-Agent: citypbx-sipprobe\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        )


def _parse(data: bytes) -> SipResponse:
    head = data.decode("utf-8", "replace").split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    match = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", lines[0])
    if not match:
        raise ValueError(f"not a SIP response: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return SipResponse(int(match.group(1)), match.group(2), headers)


def _receive_response(sock: socket.socket) -> SipResponse:
    """The next SIP response on SOCK. Requests from the PBX are passed over: right after a
    REGISTER is accepted Asterisk qualifies the new contact, and its OPTIONS can arrive
    before the 200 OK does."""
    while True:
        data = sock.recv(65535)
        if data.startswith(b"SIP/2.0 "):
            return _parse(data)


def _exchange(
    sock: socket.socket, message: str, server: tuple[str, int], timeout: float
) -> SipResponse:
    """Send MESSAGE and return its final response, retransmitting as SIP over UDP does.

    Timer A: the request is resent after 0.5 s, 1 s, 2 s ... until TIMEOUT has passed.
    """
    deadline = time.monotonic() + timeout
    interval = 0.5
    while True:
        sock.sendto(message.encode(), server)
        sock.settimeout(min(interval, max(0.01, deadline - time.monotonic())))
        try:
            response = _receive_response(sock)
            while response.status < FINAL:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                response = _receive_response(sock)
        except TimeoutError:
            if time.monotonic() >= deadline:
                raise
            interval *= 2
            continue
        return response


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest authentication is MD5


def _digest(method: str, uri: str, user: str, password: str, challenge: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    realm, nonce = params["realm"], params["nonce"]
    ha1, ha2 = _md5(f"{user}:{realm}:{password}"), _md5(f"{method}:{uri}")
    fields = f'username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5'
    if "qop" in params:
        cnonce, nc = uuid.uuid4().hex[:16], "00000001"
        response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        response = _md5(f"{ha1}:{nonce}:{ha2}")
    if "opaque" in params:
        fields += f', opaque="{params["opaque"]}"'
    return f'Digest {fields}, response="{response}"'


def _sdp(address: str) -> str:
    return (
        f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )


def request(
    method: str,
    server: tuple[str, int],
    user: str,
    *,
    local_address: str = "127.0.0.1",
    password: str | None = None,
    timeout: float = 8.0,
    from_user: str = "",
) -> list[SipResponse]:
    """Send METHOD for sip:USER@server; answer one challenge if PASSWORD is given.
    FROM_USER, when given, is the From header's user instead of USER (a request naming
    someone it is not, as a stranger writes it).

    Returns every final response received, in order.
    """
    host, port = server
    uri = f"sip:{host}:{port}" if method == "REGISTER" else f"sip:{user}@{host}:{port}"
    responses: list[SipResponse] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((local_address, 0))
        local = f"{local_address}:{sock.getsockname()[1]}"
        dialog = _Dialog(method, uri, user, host, local, from_user)
        body = _sdp(local_address) if method == "INVITE" else ""
        authorization = ""
        for cseq in (1, 2):
            branch = "z9hG4bK" + uuid.uuid4().hex[:16]
            message = dialog.message(method, cseq, branch, auth=authorization, body=body)
            response = _exchange(sock, message, server, timeout)
            responses.append(response)
            if method == "INVITE":  # a final answer to an INVITE is acknowledged
                to_tag = response.headers.get("to", "").rpartition("tag=")[2]
                ack = dialog.message("ACK", cseq, branch, to_tag=to_tag)
                sock.sendto(ack.encode(), server)
            header = CHALLENGES.get(response.status)
            challenge = response.headers.get("www-authenticate") or response.headers.get(
                "proxy-authenticate"
            )
            if header is None or password is None or challenge is None:
                break
            authorization = f"{header}: {_digest(method, uri, user, password, challenge)}\r\n"
    return responses
