"""Time from "a message is misunderstood" to "the shop answers it right", through the trainer loop.

Runs a whole shop (`shop run`: Rasa, action server, web app, records consumer, trainer) in a temporary clone of
this repository, so the example it adds to data/nlu_reviewed.yml never touches the working tree. Then:

1. a shopper sends TEXT; the records show the live model read it as another intent than INTENT (if it reads it
   right already, there is nothing to measure: pick another text);
2. a seller marks it "Not understood"; then the trainer's steps, without their reading time: the message is in
   the review inbox, annotated as INTENT into the training file, "Train" asked for; the trainer (`shop learn`)
   trains the candidate at low priority and compares it with the live model on the held-out files (the gate);
3. the candidate is activated (refused when the gate refuses it, unless --override REASON);
4. another shopper sends TEXT; the records show the new model read it as INTENT.

    .venv/bin/python scripts/time_to_fix.py --text "is revolut ok for paying" --intent ask_payment_methods
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", required=True, help="what the shopper writes")
    parser.add_argument("--intent", required=True, help="what it means")
    parser.add_argument("--override", help="activate past a refusing gate, with this reason")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)  # already in the clone
    args = parser.parse_args()
    if args.inside:
        return measure(args)
    clone = Path(tempfile.mkdtemp(prefix="shop-time-to-fix-")) / "shop"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    for venv in (".venv", ".venv-rasa"):  # the environments are the same; only the project files are a copy
        (clone / venv).symlink_to(REPO / venv)
    env = {**os.environ, "PYTHONPATH": str(clone)}
    command = [str(clone / ".venv/bin/python"), str(clone / "scripts/time_to_fix.py"), "--inside", *sys.argv[1:]]
    return subprocess.run(command, cwd=clone, env=env).returncode


def measure(args: argparse.Namespace) -> int:
    # Imported here: in the clone, with PYTHONPATH pointing at it, these are the clone's modules.
    from checkout.settings import PROJECT_ROOT, load_settings
    from cli.scenario_runner import free_port

    if Path(PROJECT_ROOT).resolve() != REPO.resolve():  # the clone's script must run the clone's code
        raise SystemExit(f"the project is {PROJECT_ROOT}, not this clone {REPO}: is PYTHONPATH set to the clone?")
    var = Path(PROJECT_ROOT) / "var"
    var.mkdir(exist_ok=True)
    settings = load_settings(environ={}, env_file=var / "none").replace(
        database_url=f"sqlite:///{var / 'shop.db'}",
        rasa_tracker_url=f"sqlite:///{var / 'rasa.db'}",
        rasa_events_url=f"sqlite:///{var / 'rasa_events.db'}",
        rasa_port=free_port(),
        action_server_port=free_port(),
        web_port=free_port(),
        shop_secret_key="time-to-fix",
        rasa_api_token=uuid.uuid4().hex,
    )
    log = (var / "shop.log").open("w")
    shop = subprocess.Popen(
        [sys.executable, "-m", "cli", "run"],
        env={**os.environ, **settings.as_environment()},
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return _measure(settings, args, var / "shop.log")
    finally:
        os.killpg(shop.pid, 15)
        shop.wait(timeout=120)
        log.close()


def _measure(settings, args: argparse.Namespace, shop_log: Path) -> int:
    from checkout.db.database import Database
    from checkout.learning import learner_running, learning_status, request_model_training
    from checkout.trainer.activation import GateRefused, activate_model
    from checkout.trainer.annotation import annotate
    from checkout.trainer.flagging import flag_message
    from checkout.trainer.review import review_queue
    from checkout.trainer.review_files import ReviewFiles

    wait_for(lambda: "ready:" in shop_log.read_text(errors="replace"), 600, f"the shop to start ({shop_log})")
    wait_for(lambda: learner_running(settings), 60, "the trainer (shop learn)")
    db = Database(settings.database_url)
    marks: list[tuple[str, float]] = []

    def mark(what: str) -> None:
        marks.append((what, time.monotonic()))
        print(f"{marks[-1][1] - marks[0][1]:7.1f} s  {what}", flush=True)

    message_id, read_as = say(settings, db, args.text)
    mark(f"misunderstood: {args.text!r} read as {read_as}")
    if read_as == args.intent:
        print(f"The live model reads it as {args.intent} already: nothing to fix. Pick another text.")
        return 2
    # Read with full confidence, it comes to the inbox when a seller marks it "Not understood" on the transcript.
    flag_message(db, message_id, actor="seller")
    with db.reading() as session:
        [row] = [row for row in review_queue(session, settings, limit=500) if row.message_id == message_id]
    mark(f"in the review inbox ({row.reason})")
    annotate(db, ReviewFiles(), message_id, args.intent, actor="time-to-fix")
    mark(f"annotated as {args.intent}")
    request = request_model_training(settings)
    last = ""
    while True:
        status = learning_status(settings)
        if status.request == request and status.state in ("trained", "failed"):
            break
        progress = f"{status.state} {status.stage} {status.epoch}/{status.epochs}".strip()
        if progress != last:
            last = progress
            mark(progress)
        time.sleep(1)
    mark(f"{status.state}: {status.detail}")
    if status.state != "trained":
        return 1
    try:
        activation = activate_model(db, settings, actor="time-to-fix", override_reason=args.override)
    except GateRefused as exc:
        print(f"The gate refused the candidate: {'; '.join(exc.reasons)}")
        return 1
    mark(f"activated {activation.model_id}")
    _, read_now = say(settings, db, args.text)
    mark(f"answered: read as {read_now}")
    total = marks[-1][1] - marks[0][1]
    print(f"\nfrom misunderstood to answered right: {total / 60:.1f} min" if read_now == args.intent else "NOT FIXED")
    return 0 if read_now == args.intent else 1


def say(settings, db, text: str) -> tuple[int, str | None]:
    """A new shopper sends `text`; returns its recorded message and the intent the live model read."""
    import httpx
    from sqlalchemy import select

    from checkout.db.models import Conversation, Message

    sender = f"time-to-fix-{uuid.uuid4().hex[:8]}"
    httpx.post(f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)

    def recorded():
        with db.reading() as session:
            return session.execute(
                select(Message.id, Message.intent)
                .join(Conversation)
                .where(Conversation.sender_id == sender, Message.direction == "in")
            ).first()

    row = wait_for(recorded, 60, "the records consumer to record the message")
    return row[0], row[1]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


if __name__ == "__main__":
    sys.exit(main())
