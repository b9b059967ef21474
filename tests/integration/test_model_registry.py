"""The registry of models (checkout.trainer.registry), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.model_files import model_file
from checkout.trainer.registry import (
    ModelNotFound,
    find_model,
    list_models,
    live_model,
    newest_candidate,
    previous_live,
    record_scores,
    register_model,
)
from tests.model_archives import write_model_archive


def test_registering_is_idempotent_by_model_id(clean_db, tmp_path):
    path = write_model_archive(tmp_path / "models" / "aaaa.tar.gz", "id-a")
    first = register_model(clean_db, path, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    copy = write_model_archive(tmp_path / "cache" / "aaaa.tar.gz", "id-a")
    again = register_model(clean_db, copy, ModelOrigin.CATALOG, ModelState.CANDIDATE)
    assert again.id == first.id
    with clean_db.reading() as session:
        [row] = list_models(session)
        assert (row.model_id, row.fingerprint, row.origin, row.state) == ("id-a", "aaaa", "review", "candidate")
        assert row.path == str(copy.resolve())  # where the file is now
        assert newest_candidate(session).model_id == "id-a"
        assert live_model(session) is None


def test_a_live_registration_retires_the_model_live_before(clean_db, tmp_path):
    a = write_model_archive(tmp_path / "aaaa.tar.gz", "id-a", "2026-12-01T10:00:00")
    b = write_model_archive(tmp_path / "bbbb.tar.gz", "id-b", "2026-12-01T11:00:00")
    register_model(clean_db, a, ModelOrigin.START, ModelState.LIVE)
    register_model(clean_db, a, ModelOrigin.START, ModelState.LIVE)  # a restart with the same model: no change
    register_model(clean_db, b, ModelOrigin.CATALOG, ModelState.LIVE)
    with clean_db.reading() as session:
        live, before = live_model(session), previous_live(session)
        assert (live.model_id, live.origin, live.live_until) == ("id-b", "catalog", None)
        assert (before.model_id, before.state) == ("id-a", "retired")
        assert before.live_since is not None and before.live_until == live.live_since
        assert newest_candidate(session) is None
        assert [m.model_id for m in list_models(session)] == ["id-b", "id-a"]  # newest first


def test_scores_and_the_gate_are_recorded(clean_db, tmp_path):
    path = write_model_archive(tmp_path / "aaaa.tar.gz", "id-a")
    register_model(clean_db, path, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    record_scores(clean_db, "id-a", {"intent_f1": 0.97, "entity_f1": 0.96}, {"passed": False, "reasons": ["x"]})
    record_scores(clean_db, "id-a", {"intent_f1": 0.98, "entity_f1": 0.96})  # no gate given: the old one stays
    with clean_db.reading() as session:
        row = find_model(session, "id-a")
        assert row.scores["intent_f1"] == 0.98
        assert row.gate == {"passed": False, "reasons": ["x"]}


def test_a_model_is_found_by_the_start_of_its_id(clean_db, tmp_path):
    for fingerprint, model_id in (("aaaa", "4f2a91c0aa"), ("bbbb", "4f2a91c0bb"), ("cccc", "77e0d1")):
        path = write_model_archive(tmp_path / f"{fingerprint}.tar.gz", model_id)
        register_model(clean_db, path, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    with clean_db.reading() as session:
        assert find_model(session, "4f2a91c0b").model_id == "4f2a91c0bb"
        assert find_model(session, "77e0d1").model_id == "77e0d1"
        with pytest.raises(ModelNotFound, match="start of 2 model ids"):
            find_model(session, "4f2a91")
        with pytest.raises(ModelNotFound):
            find_model(session, "4f2")  # too short to be meant as a prefix


def test_a_model_whose_file_was_pruned_is_found_in_the_cache(clean_db, tmp_path):
    path = write_model_archive(tmp_path / "models" / "aaaa.tar.gz", "id-a")
    row = register_model(clean_db, path, ModelOrigin.REVIEW, ModelState.CANDIDATE)
    cache = tmp_path / "cache"
    assert model_file(row, cache) == path
    path.unlink()
    assert model_file(row, cache) is None
    write_model_archive(cache / "aaaa.tar.gz", "another-training-of-the-same-inputs")
    assert model_file(row, cache) is None
    write_model_archive(cache / "aaaa.tar.gz", "id-a")
    assert model_file(row, cache) == cache / "aaaa.tar.gz"
