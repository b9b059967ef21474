"""Scores any Rasa NLU model on a held-out file the way `shop nlu evaluate` does (intent macro-F1, entity F1 per
token), so that a model of another version (an older commit, Rasa's own sample bot) is compared with ours on
the same examples in the same hour.

The model is served by `rasa run --enable-api` started in the model's own project folder (its custom
components, if any, must import from there), on a free loopback port; the messages go through
`POST /model/parse`.

    git worktree add /tmp/old 3aa17a6
    .venv-rasa/bin/rasa train nlu --config /tmp/old/config.yml --nlu /tmp/old/data --out /tmp/old/models \
        --fixed-model-name old
    .venv/bin/python scripts/score_other_model.py /tmp/old/models/old.tar.gz tests/nlu/heldout.yml --project /tmp/old
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkout.assistant_client import AssistantClient  # noqa: E402
from checkout.settings import PROJECT_ROOT  # noqa: E402
from cli.nlu_scoring import entity_scores, intent_scores, load_examples, parse_summary  # noqa: E402
from cli.scenario_runner import free_port  # noqa: E402

RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"Rasa exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/status", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"Rasa was not ready after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("heldout", type=Path)
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT, help="the model's project folder")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(RASA), "run", "--enable-api", "-m", str(args.model.resolve()), "-i", "127.0.0.1", "-p", str(port)],
        cwd=args.project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(url, server)
        examples = load_examples(args.heldout)
        assistant = AssistantClient(url, timeout=60)
        parses = [parse_summary(e.text, assistant.parse(e.text)) for e in examples]
    finally:
        server.terminate()
        server.wait(30)
    intent_f1, _ = intent_scores([e.intent for e in examples], [p["intent"] for p in parses])
    entity_f1, per_entity, _ = entity_scores(examples, parses)
    print(
        f"{args.model.name} on {args.heldout} ({len(examples)} messages): intent macro-F1 {intent_f1:.3f}, "
        f"entity F1 {entity_f1:.3f} " + " ".join(f"{k} {v:.2f}" for k, v in sorted(per_entity.items()))
    )


if __name__ == "__main__":
    main()
