"""The process supervisor behind `shop run`, with tiny real child processes."""

import io
import signal
import socket
import sys
import time

import pytest

from cli.processes import ProcessSpec, Supervisor


def child(code: str, name: str = "child", **kwargs) -> ProcessSpec:
    return ProcessSpec(name, [sys.executable, "-u", "-c", code], **kwargs)


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.02)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def out():
    return io.StringIO()


@pytest.fixture
def supervisors():
    """Supervisors made by a test; whatever still runs is killed afterwards."""
    made = []
    yield made
    for supervisor in made:
        supervisor.stop(timeout=1)


@pytest.fixture
def keep_signal_handlers():
    """supervise() installs SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def start(supervisors, out, *specs) -> Supervisor:
    supervisor = Supervisor(list(specs), out=out)
    supervisors.append(supervisor)
    supervisor.start()
    return supervisor


def test_output_is_prefixed_with_the_process_name(supervisors, out):
    supervisor = start(
        supervisors,
        out,
        child("print('hello'); print('second line')", name="web"),
        child("import sys; print('oops', file=sys.stderr)", name="actions"),
    )
    wait_for(lambda: all(p.poll() is not None for p in supervisor.processes.values()))
    wait_for(lambda: out.getvalue().count("\n") == 3)
    lines = out.getvalue().splitlines()
    # Names are padded to the longest, so the columns line up.
    assert sorted(lines) == sorted(["web     | hello", "web     | second line", "actions | oops"])
    assert lines.index("web     | hello") < lines.index("web     | second line")


def test_children_get_the_spec_environment(supervisors, out):
    supervisor = start(supervisors, out, child("import os; print(os.environ['SHOP_NAME'])", env={"SHOP_NAME": "Loop"}))
    wait_for(lambda: supervisor.processes["child"].poll() is not None)
    wait_for(lambda: "child | Loop" in out.getvalue())


def test_wait_ready_raises_when_a_child_exits(supervisors, out):
    supervisor = start(supervisors, out, child("import sys; sys.exit(3)", name="rasa", ready_url=closed_port_url()))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="rasa exited with code 3"):
        supervisor.wait_ready(timeout=30)
    assert time.monotonic() - started < 10


def test_wait_ready_times_out(supervisors, out):
    supervisor = start(supervisors, out, child("import time; time.sleep(30)", name="rasa", ready_url=closed_port_url()))
    with pytest.raises(TimeoutError, match="rasa"):
        supervisor.wait_ready(timeout=0.5)


def test_wait_ready_returns_when_the_url_answers(supervisors, out, tmp_path):
    server = (
        "import http.server, socketserver\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
        "    def log_message(self, *a): pass\n"
        "s = socketserver.TCPServer(('127.0.0.1', 0), H)\n"
        "open(PORTFILE, 'w').write(str(s.server_address[1]))\n"
        "s.serve_forever()\n"
    )
    portfile = tmp_path / "port"
    server_process = start(supervisors, io.StringIO(), child(f"PORTFILE={str(portfile)!r}\n" + server, name="web"))
    wait_for(lambda: portfile.exists() and portfile.read_text())
    url = f"http://127.0.0.1:{portfile.read_text()}/"
    # A supervisor waits on that server's URL; a process without a ready_url is not waited for.
    supervisor = start(
        supervisors,
        out,
        child("import time; time.sleep(30)", name="sleeper"),
        child("import time; time.sleep(30)", name="web2", ready_url=url),
    )
    supervisor.wait_ready(timeout=10)
    assert server_process.processes["web"].poll() is None


def test_supervise_stops_the_others_when_one_exits(supervisors, out, keep_signal_handlers):
    supervisor = start(
        supervisors,
        out,
        child("import time; time.sleep(60)", name="sleeper"),
        child("import time, sys; time.sleep(0.3); sys.exit(3)", name="crasher"),
    )
    started = time.monotonic()
    code = supervisor.supervise()
    assert code == 3
    assert time.monotonic() - started < 10
    assert supervisor.processes["sleeper"].poll() is not None  # stopped, not left behind
    assert "crasher exited with code 3; stopping the others" in out.getvalue()


def test_supervise_fails_even_when_a_child_exits_cleanly(supervisors, out, keep_signal_handlers):
    supervisor = start(
        supervisors, out, child("import time; time.sleep(60)", name="sleeper"), child("pass", name="quitter")
    )
    assert supervisor.supervise() == 1
    assert supervisor.processes["sleeper"].poll() is not None


def test_stop_kills_a_child_that_ignores_sigterm(supervisors, out):
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready')\ntime.sleep(60)\n"
    supervisor = start(
        supervisors, out, child(stubborn, name="stubborn"), child("import time; time.sleep(60)", name="polite")
    )
    wait_for(lambda: "stubborn | ready" in out.getvalue())
    started = time.monotonic()
    supervisor.stop(timeout=0.5)
    assert time.monotonic() - started < 5
    assert supervisor.processes["stubborn"].returncode == -signal.SIGKILL
    assert supervisor.processes["polite"].returncode == -signal.SIGTERM
    assert "stubborn did not stop" in out.getvalue()


def test_stop_reaches_grandchildren(supervisors, out, tmp_path):
    # The child starts its own child (as `rasa run` and waitress do); stopping the group stops both.
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(60)\n"
    )
    supervisor = start(supervisors, out, child(code, name="parent"))
    wait_for(lambda: pidfile.exists() and pidfile.read_text())
    grandchild = int(pidfile.read_text())
    supervisor.stop(timeout=2)

    def gone() -> bool:
        try:
            with open(f"/proc/{grandchild}/stat") as f:
                return f.read().split(") ")[1].startswith("Z")  # a zombie waiting for init is gone too
        except FileNotFoundError:
            return True

    wait_for(gone, timeout=5)
