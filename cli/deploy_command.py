"""`shop deploy haproxy`: the balancer's configuration for servers on several machines (deploy/ and the README)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.balancer import BalancerLayout, haproxy_config


@click.group("deploy")
def deploy():
    """Configuration for running the shop on several machines."""


@deploy.command("haproxy")
@click.option("--rasa", "rasa_servers", multiple=True, required=True, help="A Rasa server, host:port (repeat).")
@click.option("--actions", "action_servers", multiple=True, required=True, help="An action server, host:port (repeat).")
@click.option(
    "--allow",
    multiple=True,
    required=True,
    help="An address or network that may call Rasa and the action servers: the web app's, the gateways', the "
    "Rasa servers' (repeat).",
)
@click.option("--rasa-bind", default="0.0.0.0:5005", show_default=True, help="Where the web app and gateways call.")
@click.option("--actions-bind", default="0.0.0.0:5055", show_default=True, help="Where the Rasa servers call.")
@click.option("--stats-socket", default="/run/haproxy/shop.sock", show_default=True, type=click.Path(path_type=Path))
def haproxy(rasa_servers, action_servers, allow, rasa_bind, actions_bind, stats_socket):
    """Print haproxy.cfg for these servers (from deploy/haproxy.cfg.template, as `shop run` renders it)."""
    layout = BalancerLayout(
        rasa_bind, list(rasa_servers), actions_bind, list(action_servers), list(allow), stats_socket
    )
    click.echo(haproxy_config(layout), nl=False)
