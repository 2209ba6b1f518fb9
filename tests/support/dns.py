"""A tiny DNS server for tests, and the command prefix that runs a process with it as its resolver.

`NameServer` answers A and AAAA questions on UDP port 53 of a loopback address of its own
(127.53.x.y), from a table: name -> addresses, or name -> a function of how many times the name
was looked up before (for a name that answers differently over time, as in DNS rebinding). Every
answer has a TTL of 0; names not in the table are NXDOMAIN.

`NameServer.isolated(directory)` is a command prefix (`unshare --mount`, root only) that starts a
program in a mount namespace of its own where /etc/resolv.conf names this server and
/etc/nsswitch.conf says `hosts: files dns`: the program resolves names with the system resolver
(glibc's getaddrinfo, as any other) and nothing else on the machine sees the change."""

from __future__ import annotations

import collections
import ipaddress
import random
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

Answers = list[str] | Callable[[int], list[str]]
A, AAAA = 1, 28
_MOUNT = 'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf && shift 2 && exec "$@"'


def namespaces_available() -> bool:
    """True when this process may run a program in a mount namespace of its own (root, unshare(1))."""
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


class NameServer:
    def __init__(self, records: dict[str, Answers]):
        self.records = {name.lower(): answers for name, answers in records.items()}
        self.lookups: collections.Counter[str] = collections.Counter()  # A questions asked, by name
        self.address = ""
        self._socket: socket.socket | None = None

    def start(self) -> NameServer:
        for _ in range(20):  # a free loopback address of our own
            candidate = f"127.53.{random.randint(1, 254)}.{random.randint(1, 254)}"
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((candidate, 53))
            except OSError:
                sock.close()
                continue
            self.address, self._socket = candidate, sock
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()
            return self
        raise RuntimeError("no free loopback address for the test name server")

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def isolated(self, directory: Path) -> list[str]:
        directory.mkdir(parents=True, exist_ok=True)
        resolv, nsswitch = directory / "resolv.conf", directory / "nsswitch.conf"
        resolv.write_text(f"nameserver {self.address}\noptions timeout:1 attempts:1\n")
        nsswitch.write_text("hosts: files dns\n")
        return ["unshare", "--mount", "--", "sh", "-c", _MOUNT, "sh", str(resolv), str(nsswitch)]

    def _serve(self, sock: socket.socket) -> None:
        while True:
            try:
                query, peer = sock.recvfrom(512)
                sock.sendto(self._answer(query), peer)
            except OSError:
                return  # closed by stop()
            except (ValueError, IndexError, struct.error):
                continue  # not a question we read

    def _answer(self, query: bytes) -> bytes:
        ident, flags = struct.unpack("!HH", query[:4])
        labels, offset = [], 12
        while query[offset]:
            labels.append(query[offset + 1 : offset + 1 + query[offset]].decode("ascii").lower())
            offset += 1 + query[offset]
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        question = query[12 : offset + 5]
        name = ".".join(labels)
        if name not in self.records:
            return struct.pack("!HHHHHH", ident, 0x8583 | (flags & 0x0100), 1, 0, 0, 0) + question
        records = [ipaddress.ip_address(a) for a in self._addresses(name, qtype)]
        wanted = [r for r in records if r.version == (4 if qtype == A else 6)] if qtype in (A, AAAA) else []
        header = struct.pack("!HHHHHH", ident, 0x8580 | (flags & 0x0100), 1, len(wanted), 0, 0)
        body = b"".join(
            struct.pack("!HHHIH", 0xC00C, qtype, 1, 0, len(r.packed)) + r.packed  # TTL 0
            for r in wanted
        )
        return header + question + body

    def _addresses(self, name: str, qtype: int) -> list[str]:
        if qtype == A:  # a lookup asks A then AAAA: the A question counts it
            self.lookups[name] += 1
        answers = self.records[name]
        return answers(max(self.lookups[name] - 1, 0)) if callable(answers) else answers

    def __enter__(self) -> NameServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
