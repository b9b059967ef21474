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
import os
from pathlib import Path

from checkout.assistant_client import AssistantClient
from checkout.settings import PROJECT_ROOT
from cli.nlu_scoring import entity_scores, intent_scores, load_examples, parse_summary
from cli.processes import ProcessSpec, Supervisor
from cli.scenario_runner import free_port

RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("heldout", type=Path)
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT, help="the model's project folder")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(RASA), "run", "--enable-api", "-m", str(args.model.resolve()), "-i", "127.0.0.1", "-p", str(port)]
    with open(os.devnull, "w") as quiet:
        supervisor = Supervisor([ProcessSpec("rasa", command, ready_url=f"{url}/status")], quiet, str(args.project))
        supervisor.start()
        try:
            supervisor.wait_ready(timeout=300)
            examples = load_examples(args.heldout)
            assistant = AssistantClient(url, timeout=60)
            parses = [parse_summary(e.text, assistant.parse(e.text)) for e in examples]
        finally:
            supervisor.stop()
    intent_f1, _ = intent_scores([e.intent for e in examples], [p["intent"] for p in parses])
    entity_f1, per_entity, _ = entity_scores(examples, parses)
    print(
        f"{args.model.name} on {args.heldout} ({len(examples)} messages): intent macro-F1 {intent_f1:.3f}, "
        f"entity F1 {entity_f1:.3f} " + " ".join(f"{k} {v:.2f}" for k, v in sorted(per_entity.items()))
    )


if __name__ == "__main__":
    main()
