"""Fixtures: small deterministic worlds and a live SandboxServer on an ephemeral port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_testkit import Client, make_world

from sandbox.query_cost import ThrottleConfig
from sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only world shared by a module's tests."""
    return make_world(tmp_path_factory.mktemp("shared-world"))


@pytest.fixture(scope="module")
def shared_client(shared_world: Path) -> Iterator[Client]:
    """Server with a roomy cost bucket: these tests fire many queries back to back."""
    with SandboxServer(shared_world, throttle=ThrottleConfig(maximum_available=1_000_000)) as server:
        yield Client(server)


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A fresh world a test may change."""
    return make_world(tmp_path / "world")


@pytest.fixture
def client(world: Path) -> Iterator[Client]:
    with SandboxServer(world) as server:
        yield Client(server)
