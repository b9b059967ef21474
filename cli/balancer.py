"""HAProxy in front of several Rasa and action servers: its configuration, from deploy/haproxy.cfg.template.

One template serves both layouts: `shop run` renders it for servers on this machine's loopback, and
`shop deploy haproxy` for servers on several machines, so the two never drift apart.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

from checkout.settings import PROJECT_ROOT, Settings

TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class BalancerLayout:
    rasa_bind: str  # host:port the web app and gateways call
    rasa_servers: list[str]  # host:port of each Rasa server
    actions_bind: str  # host:port the Rasa servers call (their action endpoint)
    action_servers: list[str]
    trusted_sources: list[str]  # addresses or networks allowed to call either frontend
    stats_socket: Path


def local_layout(settings: Settings) -> BalancerLayout:
    """Every server on this machine, on the ports after RASA_PORT and ACTION_SERVER_PORT; only loopback calls."""
    return BalancerLayout(
        rasa_bind=f"{settings.rasa_host}:{settings.rasa_port}",
        rasa_servers=[f"127.0.0.1:{port}" for port in settings.rasa_instance_ports],
        actions_bind=f"{settings.action_server_host}:{settings.action_server_port}",
        action_servers=[f"127.0.0.1:{port}" for port in settings.action_instance_ports],
        trusted_sources=list(LOOPBACK),
        stats_socket=settings.var_dir / "haproxy.sock",
    )


def haproxy_config(layout: BalancerLayout) -> str:
    if not layout.rasa_servers or not layout.action_servers:
        raise ValueError("the balancer needs at least one Rasa server and one action server")
    if not layout.trusted_sources:
        raise ValueError("name the addresses allowed to call Rasa and the action servers (the web app, gateways)")
    return Template(TEMPLATE.read_text()).substitute(
        stats_socket=str(layout.stats_socket),
        trusted_sources=" ".join(layout.trusted_sources),
        rasa_bind=layout.rasa_bind,
        rasa_servers=_server_lines("rasa", layout.rasa_servers),
        actions_bind=layout.actions_bind,
        action_servers=_server_lines("actions", layout.action_servers),
    )


def _server_lines(prefix: str, addresses: list[str]) -> str:
    return "\n".join(f"    server {prefix}{i} {address} check" for i, address in enumerate(addresses, 1))


def write_haproxy_config(settings: Settings) -> Path:
    path = settings.var_dir / "haproxy.cfg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(haproxy_config(local_layout(settings)))
    return path


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (str(p) for p in (Path("/usr/sbin/haproxy"), Path("/usr/local/sbin/haproxy")) if p.exists()), None
    )


def haproxy_command(config: Path) -> list[str]:
    binary = haproxy_binary()
    if binary is None:
        raise FileNotFoundError("HAProxy is not installed: `make haproxy` (Debian's package) installs it")
    return [binary, "-db", "-f", str(config)]  # -db: in the foreground, logging to stdout, as the other processes
