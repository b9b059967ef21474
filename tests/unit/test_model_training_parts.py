"""The parts of training a candidate that need no Rasa: model ids from archives, the trainer's request files,
progress read from `rasa train`'s output, cancelling its process group."""

from __future__ import annotations

import sys
import tarfile
import threading
import time
from datetime import UTC, datetime

import pytest

from checkout.learning import (
    LearningStatus,
    beat,
    cancel_requested,
    learner_running,
    learning_status,
    record_status,
    request_cancel,
    request_model_training,
    stop_beating,
    take_model_training_request,
)
from checkout.settings import Settings
from checkout.trainer.model_files import ModelFileError, fingerprint_of, model_id_of, model_metadata
from cli.train_command import progress_step
from cli.training_progress import Progress
from tests.model_archives import write_model_archive


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(shop_catalog_terms_file=str(tmp_path / "var" / "catalog_terms.json"))


def test_the_model_id_is_read_from_the_archives_metadata(tmp_path):
    path = write_model_archive(tmp_path / "0123abcd.tar.gz", "f00d", "2026-12-01T16:48:15.968052")
    assert model_id_of(path) == "f00d"
    assert model_metadata(path).trained_at == datetime(2026, 12, 1, 16, 48, 15, 968052, tzinfo=UTC)
    assert fingerprint_of(path) == "0123abcd"


def test_a_file_that_is_no_model_is_refused(tmp_path):
    (tmp_path / "text.tar.gz").write_text("not an archive")
    with pytest.raises(ModelFileError, match="not a Rasa model"):
        model_id_of(tmp_path / "text.tar.gz")
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz"):
        pass
    with pytest.raises(ModelFileError, match="no metadata.json"):
        model_id_of(tmp_path / "empty.tar.gz")
    with pytest.raises(ModelFileError):
        model_id_of(tmp_path / "missing.tar.gz")


def test_old_status_files_and_callers_keep_working(settings):
    record_status(settings, "learned", "abc.tar.gz")
    status = learning_status(settings)
    assert (status.state, status.detail, status.stage, status.request) == ("learned", "abc.tar.gz", "", "")
    assert LearningStatus("training", 1.0).busy and LearningStatus("comparing", 1.0).busy


def test_a_second_training_request_joins_the_pending_one(settings):
    first = request_model_training(settings)
    assert request_model_training(settings) == first
    assert take_model_training_request(settings) == first
    assert take_model_training_request(settings) is None
    assert request_model_training(settings) != first


def test_cancelling_a_request_not_started_yet_fails_it_at_once(settings):
    request = request_model_training(settings)
    assert request_cancel(settings) == request
    assert take_model_training_request(settings) is None
    status = learning_status(settings)
    assert (status.state, status.detail, status.request) == ("failed", "cancelled", request)
    assert request_cancel(settings) is None  # nothing runs now


def test_a_cancel_is_for_the_training_under_way_only(settings):
    record_status(settings, "training", request="r1", started_at=time.time())
    assert request_cancel(settings) == "r1"
    assert not cancel_requested(settings, "r2", 0.0)
    assert not cancel_requested(settings, "r1", time.time() + 60)  # a training begun after it
    assert cancel_requested(settings, "r1", 0.0)
    assert not cancel_requested(settings, "r1", 0.0)  # taken


def test_the_heartbeat_says_whether_the_trainer_runs(settings):
    assert not learner_running(settings)
    beat(settings)
    assert learner_running(settings)
    stop_beating(settings)
    assert not learner_running(settings)


RASA_OUTPUT = [
    "2026-12-01 16:46:02 INFO     rasa.engine.training.hooks  - Starting to train component 'RegexFeaturizer'.",
    "2026-12-01 16:46:40 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.",
    "Epochs:   0%|          | 0/100 [00:00<?, ?it/s]",
    "Epochs:  42%|████▏     | 42/100 [00:21<00:29,  1.98it/s, t_loss=2.1, i_acc=0.951]",
]


def test_progress_is_read_from_rasas_output(settings):
    lines: list[str] = []
    progress = Progress(settings, "r1", lines.append)
    for line in RASA_OUTPUT:
        progress.line(line)
    progress.write()
    status = learning_status(settings)
    assert (status.stage, status.epoch, status.epochs, status.request) == ("DIETClassifier", 42, 100, "r1")
    assert lines == ["training RegexFeaturizer", "training DIETClassifier"]
    assert progress_step(status) == "training: DIETClassifier, epoch 40/100"


def test_a_cancel_stops_the_training_and_what_it_started(settings, tmp_path):
    """The training runs in a process group of its own: the child it started stops with it."""
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "for epoch in range(1, 601):\n"
        "    print(f'Epochs: 1%|x| {epoch}/600 [00:01<00:01]', end='\\r', flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    progress = Progress(settings, "r1", lambda line: None)
    record_status(settings, "training", request="r1", started_at=progress.started_at)
    threading.Timer(1.5, request_cancel, args=(settings,)).start()
    started = time.monotonic()
    returncode = progress.run([sys.executable, "-c", script], {}, tmp_path)
    assert returncode != 0 and progress.cancelled
    assert time.monotonic() - started < 20
    assert 0 < progress.epoch < 600 and progress.epochs == 600  # the \r-ended bar was followed


def test_every_rasa_server_to_activate_in():
    assert Settings(rasa_port=5006).rasa_server_urls == ["http://127.0.0.1:5006"]
    urls = Settings(rasa_urls=" http://10.0.0.1:5005/, http://10.0.0.2:5005 ,").rasa_server_urls
    assert urls == ["http://10.0.0.1:5005", "http://10.0.0.2:5005"]


def test_a_trainer_that_stops_stops_its_training(settings, tmp_path):
    """`shop run` ending stops `shop learn`; the training, in a process group of its own, must not outlive it."""
    script = "import time\nprint(\"Starting to train component 'DIETClassifier'.\", flush=True)\ntime.sleep(60)\n"

    def stopped(line: str) -> None:
        raise KeyboardInterrupt  # what SIGTERM's handler (sys.exit) or Ctrl-C raises in the trainer

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        Progress(settings, "", stopped).run([sys.executable, "-c", script], {}, tmp_path)
    assert time.monotonic() - started < 20
