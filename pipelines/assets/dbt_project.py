"""The dbt project as Dagster sees it, and the manifest its assets are built from."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orderloop.environment import configure_environment
from orderloop.paths import DBT_PROJECT_DIR

configure_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}
_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any model, macro, seed or project file.

    Asset definitions are built from the manifest, so a stale one would describe models
    that no longer match what ``dbt build`` runs.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _SOURCE_FOLDERS:
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.suffix in _SOURCE_SUFFIXES)
    return any(path.stat().st_mtime > built for path in sources)


def ensure_manifest(force: bool = False) -> None:
    """Run ``dbt parse`` when the manifest is missing or stale, or when ``force`` is set."""
    if force or manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)


ensure_manifest()
