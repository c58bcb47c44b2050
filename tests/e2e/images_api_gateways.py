"""What the Recraft and xAI fixtures share (their fakes are both ``images_api_fake``): a gateway on the vendor's
key alone, one attempt per request so that each fault reaches the client, and a gateway with two channels of the
vendor, ``<provider>-main`` (priority 1, the fake whose faults are injected) failing over to ``<provider>-backup``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.channels import channel, write_config
from tests.fakes.images_api_fake import ImagesApiFake
from tests.harness import FAST_RETRY_ENV, SINGLE_CHANNEL_ENV, Gateway, running


@contextmanager
def alone(provider: str, fake: ImagesApiFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway on ``<PROVIDER>_API_KEY`` and ``<PROVIDER>_BASE_URL`` only."""
    prefix = provider.upper()
    env = {f"{prefix}_API_KEY": fake.api_key, f"{prefix}_BASE_URL": fake.base_url, **FAST_RETRY_ENV,
           **SINGLE_CHANNEL_ENV}
    with running(tmp_path_factory.mktemp(f"{provider}-gateway"), env) as gateway:
        yield gateway


@contextmanager
def main_and_backup(provider: str, model: str, main: ImagesApiFake, backup: ImagesApiFake,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with ``<provider>-main`` on ``main`` before ``<provider>-backup`` on ``backup``, both for ``model``;
    three attempts per request and no rest for a Retry-After."""
    data_dir = Path(tmp_path_factory.mktemp(f"{provider}-failover"))
    config = write_config(data_dir / "imagegate.toml",
                          channel(f"{provider}-main", main, [model], provider=provider, priority=1),
                          channel(f"{provider}-backup", backup, [model], provider=provider))
    with running(data_dir, {**FAST_RETRY_ENV, "IMAGEGATE_RETRY_AFTER_MAX": "0"}, config) as gateway:
        yield gateway
