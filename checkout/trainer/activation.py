"""Activate a model: past the gate (or with a reason to override it), loaded into every running Rasa server
without a restart (Rasa's `PUT /model`: conversations in progress carry on, their trackers are in the tracker
store), then recorded as live. "Roll back" activates the model that was live before, no gate asked."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from checkout.assistant_client import AssistantClient, AssistantUnavailable
from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import NluModel
from checkout.settings import Settings
from checkout.trainer.model_files import model_file
from checkout.trainer.registry import (
    ModelNotFound,
    find_model,
    live_model,
    make_live,
    newest_candidate,
    previous_live,
)


class GateRefused(Exception):
    def __init__(self, model_id: str, reasons: list[str]):
        super().__init__(f"model {model_id} did not pass the gate: " + "; ".join(reasons))
        self.model_id, self.reasons = model_id, reasons


class ServerFailed(RuntimeError):
    """A Rasa server did not take the model; the registry is unchanged and the servers switched before it were
    given the live model back (`not_restored`: those that could not be)."""

    def __init__(self, url: str, error: str, not_restored: list[str]):
        note = f"; could not switch back {', '.join(not_restored)}" if not_restored else ""
        super().__init__(f"Rasa at {url} did not load the model: {error}{note}")
        self.url, self.error, self.not_restored = url, error, not_restored


@dataclass(frozen=True)
class Activation:
    model_id: str
    previous_model_id: str | None  # what was live until now
    servers: tuple[str, ...]
    changed: bool = True  # False: the model was live already


def activate_model(
    db: Database,
    settings: Settings,
    model_id: str | None = None,
    *,
    previous: bool = False,
    actor: str,
    override_reason: str | None = None,
    connect: Callable[[str], AssistantClient] | None = None,
) -> Activation:
    """Makes `model_id` live (None: the newest candidate; `previous`: the model live before this one)."""
    override_reason = (override_reason or "").strip() or None
    with db.reading() as session:
        live = live_model(session)
        target = _target(session, model_id, previous)
        if live is not None and target.id == live.id:
            return Activation(target.model_id, live.model_id, (), changed=False)
        if not previous and override_reason is None:
            _check_gate(target, live)
        path = model_file(target, settings.model_cache_path)
        live_path = model_file(live, settings.model_cache_path) if live is not None else None
    if path is None:
        raise ModelNotFound(f"model {target.model_id}: its file {target.path} is gone")
    servers = settings.rasa_server_urls
    load_everywhere(servers, path, live_path, connect or (lambda url: AssistantClient(url, settings.rasa_api_token)))
    with db.transaction() as session:
        row = find_model(session, target.model_id)
        make_live(session, row, actor, override_reason)
        record_audit(
            session,
            actor,
            "model.rolled_back" if previous else "model.activated",
            "nlu_model",
            row.model_id,
            {
                "previous": live.model_id if live else None,
                "override_reason": override_reason,
                "gate_passed": bool((target.gate or {}).get("passed")),
                "servers": servers,
            },
        )
    # models/ and the cache keep the newest files (by time): the live model's must never be the one dropped
    os.utime(path)
    return Activation(target.model_id, live.model_id if live else None, tuple(servers))


def _target(session: Session, model_id: str | None, previous: bool) -> NluModel:
    if previous:
        row = previous_live(session)
        if row is None:
            raise ModelNotFound("no model was live before this one: nothing to roll back to")
        return row
    if model_id:
        return find_model(session, model_id)
    row = newest_candidate(session)
    if row is None:
        raise ModelNotFound("no candidate model: train one first (shop train)")
    return row


def _check_gate(target: NluModel, live: NluModel | None) -> None:
    gate = target.gate or {}
    if not gate:
        reasons = ["not compared with the live model yet (shop nlu compare)"]
    elif live is not None and gate.get("against") != live.model_id:
        reasons = [f"compared with model {gate.get('against')}, but {live.model_id} is live now (shop nlu compare)"]
    elif not gate.get("passed"):
        reasons = list(gate.get("reasons") or ["the gate was not passed"])
    else:
        return
    raise GateRefused(target.model_id, reasons)


def load_everywhere(
    servers: list[str], path: Path, live_path: Path | None, connect: Callable[[str], AssistantClient]
) -> None:
    """`path` into every server, or into none: a server that fails undoes the switch of those before it."""
    switched: list[str] = []
    for url in servers:
        try:
            connect(url).load_model(str(path.resolve()))
        except AssistantUnavailable as exc:
            raise ServerFailed(url, str(exc), _switch_back(switched, live_path, connect)) from exc
        switched.append(url)


def _switch_back(switched: list[str], live_path: Path | None, connect: Callable[[str], AssistantClient]) -> list[str]:
    """The servers that could not be given the live model back."""
    if live_path is None:
        return switched
    failed = []
    for url in switched:
        try:
            connect(url).load_model(str(live_path.resolve()))
        except AssistantUnavailable:
            failed.append(url)
    return failed
