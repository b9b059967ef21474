"""Training inputs for another catalog: the project's config, domain and data with that catalog's words
(lookup tables and synonyms, cli.catalog_nlu) in place of the committed ones, in a folder of their own.

The model trained from such a folder is cached by its fingerprint like the project's own, so a catalog
is learned once. `shop nlu evaluate` uses it for the "learned" condition.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from checkout.catalog.importer import import_catalog
from checkout.catalog.terms_file import catalog_terms
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.settings import PROJECT_ROOT
from checkout.understanding.terms import CatalogTerms
from cli.catalog_nlu import GENERATED_FILE, write_catalog_nlu
from cli.training import training_inputs


@contextmanager
def catalog_database(catalog_csv: Path, currency: str = "EUR"):
    """A throwaway SQLite shop holding this catalog, imported by the real importer."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'catalog.db'}"
        upgrade(url)
        db = Database(url)
        try:
            with db.transaction() as session:
                result = import_catalog(session, catalog_csv.read_bytes(), currency)
                if not result.ok:
                    raise ValueError(f"{catalog_csv}: {result.errors[0]}")
            yield db
        finally:
            db.dispose()


def terms_from_csv(catalog_csv: Path) -> CatalogTerms:
    with catalog_database(catalog_csv) as db, db.reading() as session:
        return catalog_terms(session)


def write_training_root(session: Session, root: Path) -> Path:
    """`root` filled with the project's training inputs, the catalog's words taken from the shop in `session`."""
    for source in training_inputs(PROJECT_ROOT):
        target = root / source.relative_to(PROJECT_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
    write_catalog_nlu(session, root / GENERATED_FILE.relative_to(PROJECT_ROOT))
    return root


def write_training_root_for_csv(catalog_csv: Path, root: Path) -> Path:
    with catalog_database(catalog_csv) as db, db.reading() as session:
        return write_training_root(session, root)
