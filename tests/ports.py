"""Loopback ports for servers the tests start in other processes (Rasa, the action server, the web app, the
Telegram gateway's webhook) or stop and start again (tests/tcp_proxy.py).

Such a server binds its port long after the test picked it: Rasa only once its model is loaded, a minute or
more on a busy machine. A port found free by binding port 0 and closing the socket is handed out again by
the kernel to the next bind(0) in any process, or taken as the local port of an outgoing connection, during
that minute. So a port is reserved instead, for the life of this test process:

- it comes from below the kernel's ephemeral range, which bind(0) and outgoing connections never use;
- it is claimed with an exclusive lock on a file in the temp directory, so no other call here and no other
  test run on the machine (parallel clones, other sessions) can claim it while this process lives; the
  kernel drops the lock when the process ends, however it ends;
- it must be bindable when claimed (nothing listens on it).

Servers started in this process bind port 0 themselves and read the port back (tests/fake_*.py).
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "conversational-checkout-test-ports"
_held: dict[int, int] = {}  # port -> the open lock file's descriptor, kept open while this process runs


def _candidate_range() -> range:
    """Ports no bind(0) and no outgoing connection ever gets: below the ephemeral range (or above it)."""
    try:
        low, high = (int(p) for p in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - 20000 >= 2000:
        return range(20000, low)
    if 65535 - high >= 2000:
        return range(high + 1, 65536)
    return range(1024, 65536)  # an unusual configuration: the locks below still keep test runs apart


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def reserve_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that stays this process's to bind (by itself or a child) until the process ends."""
    candidates = _candidate_range()
    for _ in range(500):
        port = random.choice(candidates)
        if reserve_given_port(port, host):
            return port
    raise RuntimeError(f"no free loopback port to reserve in {candidates}")


def reserve_consecutive_ports(count: int, host: str = "127.0.0.1") -> int:
    """The first of `count` consecutive ports, all reserved (a balancer's and then its servers')."""
    for _ in range(200):
        first = reserve_port(host)
        if all(reserve_given_port(first + i, host) for i in range(1, count)):
            return first
    raise RuntimeError(f"no {count} consecutive free loopback ports")


def reserve_given_port(port: int, host: str = "127.0.0.1") -> bool:
    """Reserves this port if no test run holds it and nothing listens on it; False otherwise."""
    if port in _held:
        return False
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(LOCK_DIR / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # another test run holds it
        os.close(fd)
        return False
    if not _bindable(host, port):  # something else on the machine listens there
        os.close(fd)
        return False
    _held[port] = fd
    return True
