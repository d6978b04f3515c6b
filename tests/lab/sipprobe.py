"""A minimal SIP user agent for tests: sends one request over UDP and reads the answer.

Used against a real Asterisk on a loopback address to check what a stranger on
the network can and cannot do (it speaks just enough SIP for that; calls with
media are placed with SIPp).
"""

from __future__ import annotations

import hashlib
import re
import socket
import uuid
from dataclasses import dataclass, field


@dataclass
class SipResponse:
    """A parsed SIP response: status code, reason and headers (names lower-cased)."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


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


def _digest(method: str, uri: str, user: str, password: str, challenge: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    realm, nonce = params["realm"], params["nonce"]
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 - SIP digest is MD5
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()  # noqa: S324
    cnonce, nc = uuid.uuid4().hex[:16], "00000001"
    if "qop" in params:
        response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()  # noqa: S324
        extra = f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()  # noqa: S324
        extra = ""
    opaque = f', opaque="{params["opaque"]}"' if "opaque" in params else ""
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5{opaque}{extra}'
    )


def request(
    method: str,
    server: tuple[str, int],
    user: str,
    *,
    local_address: str = "127.0.0.1",
    password: str | None = None,
    timeout: float = 3.0,
) -> list[SipResponse]:
    """Send METHOD for sip:USER@server; answer one challenge if PASSWORD is given.

    Returns every final response received, in order.
    """
    host, port = server
    uri = f"sip:{user}@{host}:{port}" if method != "REGISTER" else f"sip:{host}:{port}"
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
    responses: list[SipResponse] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((local_address, 0))
        sock.settimeout(timeout)
        local_port = sock.getsockname()[1]
        authorization = ""
        for cseq in (1, 2):
            branch = "z9hG4bK" + uuid.uuid4().hex[:16]
            body = ""
            content = ""
            if method == "INVITE":
                body = (
                    f"v=0\r\no=- 1 1 IN IP4 {local_address}\r\ns=-\r\nc=IN IP4 {local_address}\r\n"
                    f"t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                )
                content = "Content-Type: application/sdp\r\n"
            message = (
                f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {local_address}:{local_port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:{user}@{host}>;tag={tag}\r\n"
                f"To: <sip:{user}@{host}>\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {cseq} {method}\r\n"
                f"Contact: <sip:{user}@{local_address}:{local_port}>\r\n"
                f"{authorization}"
                f"{content}"
                f"User-Agent: citypbx-sipprobe\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}"
            )
            sock.sendto(message.encode(), server)
            while True:
                response = _parse(sock.recv(65535))
                if response.status >= 200:  # noqa: PLR2004 - provisional responses are skipped
                    break
            responses.append(response)
            if method == "INVITE" and response.status >= 300:  # noqa: PLR2004
                ack = (
                    f"ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local_address}:{local_port};branch={branch};rport\r\n"
                    f"Max-Forwards: 70\r\nFrom: <sip:{user}@{host}>;tag={tag}\r\n"
                    f"To: <sip:{user}@{host}>;tag={response.headers.get('to', '').rpartition('tag=')[2]}\r\n"
                    f"Call-ID: {call_id}\r\nCSeq: {cseq} ACK\r\nContent-Length: 0\r\n\r\n"
                )
                sock.sendto(ack.encode(), server)
            challenge = response.headers.get("www-authenticate") or response.headers.get("proxy-authenticate")
            if response.status not in (401, 407) or password is None or not challenge or cseq == 2:  # noqa: PLR2004
                break
            header = "Authorization" if response.status == 401 else "Proxy-Authorization"  # noqa: PLR2004
            authorization = f"{header}: {_digest(method, uri, user, password, challenge)}\r\n"
    return responses
