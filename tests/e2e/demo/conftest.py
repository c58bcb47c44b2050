"""A gateway started with no upstream key at all: it serves the built-in demo model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import Gateway, database_url, running


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp("bare")
    with running(data_dir, {"IMAGEGATE_DATABASE_URL": database_url("sqlite", data_dir)}) as gw:
        yield gw
