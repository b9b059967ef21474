"""`shop train` trains only when Rasa's inputs change, and restores a cached model instead of retraining."""

import pytest

from cli import training
from cli.training import TrainingFailed, ensure_model, model_fingerprint, training_inputs


@pytest.fixture
def project(tmp_path):
    """A minimal project tree with the files Rasa trains from, plus some it does not."""
    root = tmp_path / "project"
    for relative, text in {
        "config.yml": "recipe: default.v1\nlanguage: en\n",
        "domain.yml": "version: '3.1'\nintents: [greet]\n",
        "requirements/rasa.lock.txt": "rasa==3.6.21\n",
        "data/nlu.yml": "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    - hi\n",
        "data/stories.yml": "version: '3.1'\nstories: []\n",
        "data/more/rules.yaml": "version: '3.1'\nrules: []\n",
        "data/catalog/demo.csv": "sku,name\nA,B\n",
        "data/README.md": "notes\n",
        "actions/catalog_actions.py": "# code\n",
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_inputs_are_config_domain_lock_and_data_yml(project):
    relative = [str(p.relative_to(project)) for p in training_inputs(project)]
    assert relative == [
        "config.yml",
        "domain.yml",
        "requirements/rasa.lock.txt",
        "data/more/rules.yaml",
        "data/nlu.yml",
        "data/stories.yml",
    ]


def test_fingerprint_is_stable(project):
    assert model_fingerprint(project) == model_fingerprint(project)
    assert len(model_fingerprint(project)) == 16


@pytest.mark.parametrize(
    "changed", ["config.yml", "domain.yml", "requirements/rasa.lock.txt", "data/nlu.yml", "data/more/rules.yaml"]
)
def test_fingerprint_changes_with_a_training_input(project, changed):
    before = model_fingerprint(project)
    path = project / changed
    path.write_text(path.read_text() + "# edited\n")
    assert model_fingerprint(project) != before


def test_fingerprint_changes_when_a_data_file_is_added(project):
    before = model_fingerprint(project)
    (project / "data" / "lookup.yml").write_text("version: '3.1'\n")
    assert model_fingerprint(project) != before


def test_fingerprint_changes_when_a_file_is_renamed(project):
    before = model_fingerprint(project)
    (project / "data" / "stories.yml").rename(project / "data" / "stories2.yml")
    assert model_fingerprint(project) != before


@pytest.mark.parametrize("changed", ["data/catalog/demo.csv", "data/README.md", "actions/catalog_actions.py"])
def test_fingerprint_ignores_files_rasa_does_not_train_on(project, changed):
    before = model_fingerprint(project)
    path = project / changed
    path.write_text(path.read_text() + "changed\n")
    (project / "data" / "catalog" / "new.csv").write_text("x\n")
    assert model_fingerprint(project) == before


def test_fingerprint_does_not_depend_on_where_the_project_lives(project, tmp_path):
    import shutil

    copy = tmp_path / "elsewhere" / "clone"
    shutil.copytree(project, copy)
    assert model_fingerprint(copy) == model_fingerprint(project)


@pytest.fixture
def models_dir(project, tmp_path, monkeypatch):
    """ensure_model working on the tmp project tree and a tmp models/ directory."""
    directory = project / "models"
    real_fingerprint = training.model_fingerprint
    monkeypatch.setattr(training, "model_fingerprint", lambda root=project: real_fingerprint(root))
    return directory


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        pytest.fail(f"rasa train was started: {args}")

    monkeypatch.setattr(training.subprocess, "run", fail)


def test_ensure_model_restores_from_the_cache_without_training(models_dir, tmp_path, no_training):
    cache = tmp_path / "cache"
    cache.mkdir()
    name = f"{training.model_fingerprint()}.tar.gz"
    (cache / name).write_bytes(b"a trained model")
    messages = []

    model = ensure_model(cache, echo=messages.append, root=models_dir.parent)

    assert model == models_dir / name
    assert model.read_bytes() == b"a trained model"
    assert "restored" in messages[-1]


def test_ensure_model_keeps_an_up_to_date_model(models_dir, tmp_path, no_training):
    models_dir.mkdir()
    model = models_dir / f"{training.model_fingerprint()}.tar.gz"
    model.write_bytes(b"current")
    messages = []
    assert ensure_model(tmp_path / "empty-cache", echo=messages.append, root=models_dir.parent) == model
    assert model.read_bytes() == b"current"
    assert "up to date" in messages[-1]


def test_ensure_model_trains_when_no_copy_exists(models_dir, tmp_path, monkeypatch):
    calls = []

    class Finished:
        returncode = 1

    def fake_run(command, **kwargs):
        calls.append(command)
        return Finished()

    monkeypatch.setattr(training.subprocess, "run", fake_run)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "0000000000000000.tar.gz").write_bytes(b"a model for other inputs")
    with pytest.raises(TrainingFailed, match="exited with 1"):
        ensure_model(tmp_path / "cache", echo=lambda _: None, root=models_dir.parent)
    assert len(calls) == 1
    assert calls[0][1] == "train"
    assert calls[0][calls[0].index("--fixed-model-name") + 1] == training.model_fingerprint()


def test_force_trains_even_when_a_model_exists(models_dir, tmp_path, monkeypatch):
    models_dir.mkdir()
    (models_dir / f"{training.model_fingerprint()}.tar.gz").write_bytes(b"current")
    calls = []

    class Finished:
        returncode = 0

    def fake_run(command, **kwargs):
        calls.append(command)
        (models_dir / f"{training.model_fingerprint()}.tar.gz").write_bytes(b"retrained")
        return Finished()

    monkeypatch.setattr(training.subprocess, "run", fake_run)
    cache = tmp_path / "cache"
    model = ensure_model(cache, force=True, echo=lambda _: None, root=models_dir.parent)
    assert len(calls) == 1
    assert model.read_bytes() == b"retrained"
    # The new model is cached for the next clone.
    assert (cache / model.name).read_bytes() == b"retrained"
    assert not list(cache.glob("*.partial"))
