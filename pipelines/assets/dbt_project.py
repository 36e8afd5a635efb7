"""The dbt project as Dagster sees it, and the manifest its assets are built from."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orderloop.environment import configure_environment
from orderloop.paths import DBT_PROJECT_DIR

configure_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest(force: bool = False) -> None:
    """Run ``dbt parse`` when the manifest is missing (a fresh clone) or ``force`` is set."""
    if force or not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)


ensure_manifest()
