"""The models the shop knows, by Rasa's model id (checkout.trainer.model_files): candidates, the live one, those
that were live, and their held-out scores and gate verdicts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import NluModel, utcnow
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.model_files import ModelMetadata, fingerprint_of, model_metadata
from checkout.trainer.model_files import model_id_of as model_id_of  # re-exported: what a registered id is

MIN_ID_PREFIX = 6  # a trainer types the start of an id, as with git commits


class ModelNotFound(LookupError):
    pass


def register_model(db: Database, path: Path, origin: ModelOrigin, state: ModelState) -> NluModel:
    """The model's row, added once per model id; registering again only notes where the file is now and, for
    `state` live, makes it the live model (the one live before is retired)."""
    metadata = model_metadata(path)
    try:
        return _register(db, path, metadata, origin, state)
    except IntegrityError:  # another process added the same model meanwhile: take theirs
        return _register(db, path, metadata, origin, state)


def _register(db: Database, path: Path, metadata: ModelMetadata, origin: ModelOrigin, state: ModelState) -> NluModel:
    with db.transaction() as session:
        row = session.scalar(select(NluModel).where(NluModel.model_id == metadata.model_id))
        if row is None:
            row = NluModel(
                model_id=metadata.model_id,
                fingerprint=fingerprint_of(path),
                path=str(path.resolve()),
                origin=str(origin),
                state=str(ModelState.CANDIDATE if state == ModelState.LIVE else state),
                trained_at=metadata.trained_at,
            )
            session.add(row)
            session.flush()
        else:
            row.path = str(path.resolve())
        if state == ModelState.LIVE and row.state != ModelState.LIVE:
            make_live(session, row)
        return row


def make_live(session: Session, row: NluModel, actor: str | None = None, override_reason: str | None = None) -> None:
    """`row` becomes the live model from now; whatever was live until now is retired."""
    now = utcnow()
    # Locked on PostgreSQL so that two activations at once retire each other's model rather than both staying
    # live; every row marked live is retired, so a second one left by an earlier race heals here.
    for old in session.scalars(select(NluModel).where(NluModel.state == ModelState.LIVE).with_for_update()):
        if old.id != row.id:
            old.state, old.live_until = str(ModelState.RETIRED), now
    session.flush()  # retired before the new one is live: at most one live row (uq_nlu_models_one_live), in any order
    row.state, row.live_since, row.live_until = str(ModelState.LIVE), now, None
    row.activated_by, row.override_reason = actor, override_reason


def find_model(session: Session, model_id: str) -> NluModel:
    """The model with this id, or with the only id that starts with it."""
    row = session.scalar(select(NluModel).where(NluModel.model_id == model_id))
    if row is not None:
        return row
    if len(model_id) >= MIN_ID_PREFIX:
        matches = list(session.scalars(select(NluModel).where(NluModel.model_id.startswith(model_id, autoescape=True))))
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ModelNotFound(f"{model_id} is the start of {len(matches)} model ids: give more of it")
    raise ModelNotFound(f"no model {model_id}")


def live_model(session: Session) -> NluModel | None:
    return session.scalar(
        select(NluModel).where(NluModel.state == ModelState.LIVE).order_by(NluModel.live_since.desc()).limit(1)
    )


def previous_live(session: Session) -> NluModel | None:
    """The model that was live before the live one (what "roll back" activates)."""
    return session.scalar(
        select(NluModel)
        .where(NluModel.state == ModelState.RETIRED, NluModel.live_until.is_not(None))
        .order_by(NluModel.live_until.desc(), NluModel.id.desc())
        .limit(1)
    )


def newest_candidate(session: Session) -> NluModel | None:
    return session.scalar(
        select(NluModel)
        .where(NluModel.state == ModelState.CANDIDATE)
        .order_by(NluModel.trained_at.desc(), NluModel.id.desc())
        .limit(1)
    )


def list_models(session: Session) -> list[NluModel]:
    return list(session.scalars(select(NluModel).order_by(NluModel.trained_at.desc(), NluModel.id.desc())))


def record_scores(db: Database, model_id: str, scores: dict, gate: dict | None = None) -> None:
    """The model's held-out scores from a comparison, and its gate verdict (None: keep the one it has)."""
    with db.transaction() as session:
        row = find_model(session, model_id)
        row.scores = scores
        if gate is not None:
            row.gate = gate
