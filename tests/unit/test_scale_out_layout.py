"""Several Rasa and action servers behind HAProxy: ports, the checks before start, the balancer's configuration,
the process list, and a pool member that dies being started again while the shop carries on."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checkout.settings import Settings, load_settings
from cli import layout
from cli.balancer import BalancerLayout, haproxy_binary, haproxy_config, local_layout
from cli.processes import ProcessSpec, Supervisor
from cli.run_command import process_specs

SCALED = {
    "RASA_INSTANCES": "2",
    "ACTION_INSTANCES": "3",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgresql://shop@db/shop",
    "RASA_EVENT_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
}


def scaled(tmp_path: Path, **overrides: str) -> Settings:
    return load_settings(environ={**SCALED, "SHOP_VAR_DIR": str(tmp_path), **overrides}, env_file=tmp_path / "none")


def test_one_of_each_keeps_the_documented_ports(tmp_path):
    settings = load_settings(environ={}, env_file=tmp_path / "none")
    assert not settings.balanced
    assert (settings.rasa_instance_ports, settings.action_instance_ports) == ([5005], [5055])
    assert settings.rasa_server_urls == ["http://127.0.0.1:5005"]


def test_several_servers_take_the_ports_after_the_balancer(tmp_path):
    settings = scaled(tmp_path)
    assert settings.balanced
    assert settings.rasa_instance_ports == [5006, 5007]
    assert settings.action_instance_ports == [5056, 5057, 5058]
    # A model is activated in each Rasa server, never through the balancer (which would reach only one).
    assert settings.rasa_server_urls == ["http://127.0.0.1:5006", "http://127.0.0.1:5007"]
    assert settings.rasa_url == "http://127.0.0.1:5005"  # the web app and the gateways call the balancer


@pytest.mark.parametrize("name", ["RASA_INSTANCES", "ACTION_INSTANCES"])
def test_no_servers_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match=name):
        scaled(tmp_path, **{name: "0"})


@pytest.fixture
def haproxy_installed(monkeypatch):
    monkeypatch.setattr(layout, "haproxy_binary", lambda: "/usr/sbin/haproxy")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"DATABASE_URL": "", "RASA_TRACKER_URL": "sqlite:////tmp/rasa.db"}, "PostgreSQL"),
        ({"RASA_EVENT_BROKER_URL": ""}, "RASA_EVENT_BROKER_URL"),
    ],
)
def test_several_rasa_servers_need_shared_engines(tmp_path, haproxy_installed, change, said):
    problem = layout.scale_out_problem(scaled(tmp_path, **change))
    assert problem is not None and said in problem


def test_shared_engines_and_haproxy_are_enough(tmp_path, haproxy_installed):
    assert layout.scale_out_problem(scaled(tmp_path)) is None
    # Several action servers alone share nothing but the database.
    assert layout.scale_out_problem(scaled(tmp_path, RASA_INSTANCES="1", REDIS_URL="")) is None


def test_without_haproxy_the_operator_is_told_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "haproxy_binary", lambda: None)
    assert "make haproxy" in (layout.scale_out_problem(scaled(tmp_path)) or "")


def test_the_balancer_sticks_conversations_by_sender_and_lets_only_trusted_callers_in(tmp_path):
    config = haproxy_config(local_layout(scaled(tmp_path)))
    assert "balance hdr(X-Sender-Id)\n    hash-type consistent" in config
    assert "server rasa1 127.0.0.1:5006 check\n    server rasa2 127.0.0.1:5007 check" in config
    assert "server actions3 127.0.0.1:5058 check" in config
    assert config.count("http-request deny deny_status 403 unless { src 127.0.0.1 ::1 }") == 2
    assert "bind 127.0.0.1:5005" in config and "bind 127.0.0.1:5055" in config


@pytest.mark.skipif(haproxy_binary() is None, reason="HAProxy is not installed (`make haproxy`)")
def test_haproxy_accepts_both_rendered_configurations(tmp_path):
    remote = BalancerLayout(
        "0.0.0.0:5005", ["10.0.1.11:5005", "10.0.1.12:5005"], "10.0.1.10:5055", ["10.0.1.21:5055"],
        ["10.0.1.0/24"], tmp_path / "stats.sock",
    )  # fmt: skip
    for name, config in (("local", haproxy_config(local_layout(scaled(tmp_path)))), ("remote", haproxy_config(remote))):
        path = tmp_path / f"{name}.cfg"
        path.write_text(config)
        checked = subprocess.run([str(haproxy_binary()), "-c", "-f", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_balancer_refuses_an_empty_pool_or_no_trusted_caller(tmp_path):
    base = local_layout(scaled(tmp_path))
    for broken in (
        BalancerLayout(base.rasa_bind, [], base.actions_bind, base.action_servers, ["::1"], base.stats_socket),
        BalancerLayout(
            base.rasa_bind, base.rasa_servers, base.actions_bind, base.action_servers, [], base.stats_socket
        ),
    ):
        with pytest.raises(ValueError):
            haproxy_config(broken)


@pytest.mark.skipif(haproxy_binary() is None, reason="HAProxy is not installed (`make haproxy`)")
def test_process_list_of_a_scaled_out_shop(tmp_path):
    settings = scaled(tmp_path).replace(rasa_api_token="t")
    specs = {spec.name: spec for spec in process_specs(settings, tmp_path / "model.tar.gz", tmp_path / "e.yml")}
    assert {"rasa-1", "rasa-2", "actions-1", "actions-2", "actions-3", "haproxy", "web", "records"} <= set(specs)
    assert "rasa" not in specs and "actions" not in specs
    assert specs["rasa-2"].command[specs["rasa-2"].command.index("--port") + 1] == "5007"
    assert specs["actions-3"].command[-1] == "5058"
    assert specs["rasa-1"].restart and specs["actions-1"].restart and not specs["web"].restart
    assert specs["haproxy"].command[-1] == str(tmp_path / "haproxy.cfg")
    assert (tmp_path / "haproxy.cfg").exists()


def test_one_of_each_runs_no_balancer(tmp_path):
    settings = load_settings(environ={"SHOP_VAR_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    specs = {spec.name: spec for spec in process_specs(settings.replace(rasa_api_token="t"), tmp_path, tmp_path)}
    assert {"rasa", "actions"} <= set(specs) and "haproxy" not in specs
    assert not specs["rasa"].restart


def wait_for(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.05)


def test_a_pool_member_that_dies_is_started_again_and_the_shop_carries_on():
    code = "import sys, time; print('up', flush=True); time.sleep(60)"
    specs = [
        ProcessSpec("rasa-1", [sys.executable, "-c", code], restart=True),
        ProcessSpec("web", [sys.executable, "-c", code]),
    ]
    out = io.StringIO()
    supervisor = Supervisor(specs, out=out)
    supervisor.start()
    try:
        wait_for(lambda: "rasa-1 | up" in out.getvalue())
        first = supervisor.processes["rasa-1"]
        first.kill()
        first.wait()
        assert supervisor.tend() is None  # the shop carries on; rasa-1 waits for its restart
        assert "rasa-1 exited with code -9; the others serve its share" in out.getvalue()
        assert supervisor.processes["rasa-1"] is first
        supervisor._restart_at["rasa-1"] = 0  # a test need not wait out the pause before a restart
        assert supervisor.tend() is None
        assert supervisor.processes["rasa-1"] is not first
        wait_for(lambda: out.getvalue().count("rasa-1 | up") == 2)
        supervisor.processes["web"].kill()
        supervisor.processes["web"].wait()
        assert supervisor.tend() == -9  # any other process ends the shop, with its exit code, as before
    finally:
        supervisor.stop()
