"""The Dockerfile, compose.yaml and the proxy's config, read as data (no image can be pulled or built here): a
slim, pinned, non-root, one-process image whose healthcheck command works against a real gateway; two gateways
behind nginx on PostgreSQL, Redis and MinIO, each service with what it waits for and how it is checked."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from imagegate.config import Settings
from tests.harness import free_port, running

ROOT = Path(__file__).resolve().parents[2]
GATEWAYS = ("gateway-1", "gateway-2")
PENDING_SETTINGS = {"storage_url"}  # IMAGEGATE_STORAGE_URL comes with S3 result storage


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped) as (NAME, arguments)."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def args() -> dict[str, str]:
    return dict(arg.split("=", 1) for name, arg in instructions() if name == "ARG" and "=" in arg)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_image_is_built_in_two_stages_from_a_pinned_slim_python() -> None:
    base = args()["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim-\w+", base), base
    stages = [arg for name, arg in instructions() if name == "FROM"]
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    runs = [arg for name, arg in instructions() if name == "RUN"]
    assert any(run.startswith("pip wheel --wheel-dir /wheels") for run in runs)
    assert any("--mount=type=bind,from=build" in run and "--no-index" in run for run in runs)


def test_the_image_installs_the_postgres_redis_and_s3_extras() -> None:
    extras = set(args()["EXTRAS"].split(","))
    assert extras == {"postgres", "redis", "s3"}
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    assert extras - {"s3"} <= declared  # s3 comes with S3 result storage
    assert any('"imagegate[${EXTRAS}]"' in arg for name, arg in instructions() if name == "RUN")


def test_one_non_root_gateway_process_per_container() -> None:
    names = [name for name, _ in instructions()]
    runtime = names.index("FROM", names.index("FROM") + 1)
    users = [arg for name, arg in instructions()[runtime:] if name == "USER"]
    assert users == ["imagegate"]
    assert names.index("USER", runtime) < names.index("ENTRYPOINT")
    (entrypoint,) = [json.loads(arg) for name, arg in instructions() if name == "ENTRYPOINT"]
    assert entrypoint == ["imagegate", "serve"] and "CMD" not in names[runtime:]  # --workers 1: one process
    env = " ".join(arg for name, arg in instructions() if name == "ENV")
    assert "IMAGEGATE_HOST=0.0.0.0" in env and "IMAGEGATE_PORT=8080" in env


def healthcheck_command() -> list[str]:
    (check,) = [arg for name, arg in instructions() if name == "HEALTHCHECK"]
    command = json.loads(check.split(" CMD ", 1)[1])
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_the_healthcheck_command_passes_on_a_live_gateway_and_fails_without_one(tmp_path: Path) -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]
    ast.parse(command[2])
    with running(tmp_path, {}) as gateway:
        port = gateway.url.rsplit(":", 1)[1]
        alive = subprocess.run([sys.executable, "-c", command[2]], env={"IMAGEGATE_PORT": port}, timeout=30,
                               check=False, capture_output=True)
    assert alive.returncode == 0, alive.stderr
    dead = subprocess.run([sys.executable, "-c", command[2]], env={"IMAGEGATE_PORT": str(free_port())},
                          timeout=30, check=False, capture_output=True)
    assert dead.returncode != 0


def test_compose_runs_two_gateways_behind_a_proxy_on_postgres_redis_and_minio(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {*GATEWAYS, "proxy", "postgres", "redis", "minio", "bucket"}
    for name, service in services.items():
        image = service.get("image", "")
        assert image and ":" in image and not image.endswith(":latest"), name
    for name in GATEWAYS:
        assert services[name]["build"] == "." and services[name]["image"] == "imagegate:local"
    assert [port.split(":")[-1] for port in services["proxy"]["ports"]] == ["8080"]


def test_every_service_is_checked_and_waits_for_what_it_needs(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("proxy", "postgres", "redis", "minio"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    healthy, done = "service_healthy", "service_completed_successfully"
    for name in GATEWAYS:  # their healthcheck is the image's HEALTHCHECK (GET /healthz)
        assert services[name]["depends_on"] == {"postgres": {"condition": healthy}, "redis": {"condition": healthy},
                                                "bucket": {"condition": done}}
    assert services["proxy"]["depends_on"] == {name: {"condition": healthy} for name in GATEWAYS}
    assert services["bucket"]["depends_on"] == {"minio": {"condition": healthy}}
    assert services["bucket"]["restart"] == "no"


def test_the_gateways_share_the_engines_and_the_secret_and_differ_by_node_name(compose: dict[str, Any]) -> None:
    services = compose["services"]
    envs = [services[name]["environment"] for name in GATEWAYS]
    assert [env.pop("IMAGEGATE_NODE_NAME") for env in envs] == list(GATEWAYS)
    assert envs[0] == envs[1]
    env = envs[0]
    assert re.fullmatch(r"postgresql\+asyncpg://imagegate:.+@postgres:5432/imagegate", env["IMAGEGATE_DATABASE_URL"])
    assert env["IMAGEGATE_REDIS_URL"] == "redis://redis:6379/0"
    assert env["IMAGEGATE_STORAGE_URL"].startswith("s3://imagegate-results/")
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    minio = services["minio"]["environment"]
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (minio["MINIO_ROOT_USER"],
                                                                        minio["MINIO_ROOT_PASSWORD"])
    assert env["IMAGEGATE_SECRET"].startswith("${IMAGEGATE_SECRET:?") and env["IMAGEGATE_MASTER_KEY"].startswith(
        "${IMAGEGATE_MASTER_KEY:?")  # required, never a default
    postgres = services["postgres"]["environment"]
    assert f":{postgres['POSTGRES_PASSWORD']}@" in env["IMAGEGATE_DATABASE_URL"]


def test_every_imagegate_variable_in_compose_is_a_setting(compose: dict[str, Any]) -> None:
    known = {name.upper() for name in Settings.model_fields} | {name.upper() for name in PENDING_SETTINGS}
    for name in GATEWAYS:
        given = {var.removeprefix("IMAGEGATE_") for var in compose["services"][name]["environment"]
                 if var.startswith("IMAGEGATE_")}
        assert given and given <= known, given - known


def test_the_bucket_job_makes_the_bucket_the_gateways_store_to(compose: dict[str, Any]) -> None:
    bucket = compose["services"]["bucket"]
    storage = compose["services"]["gateway-1"]["environment"]["IMAGEGATE_STORAGE_URL"]
    name = storage.removeprefix("s3://").split("/", 1)[0]
    script = " ".join(bucket["command"])
    assert f"mc mb --ignore-existing store/{name}" in script
    assert f"mc ilm rule add --expire-days 2 store/{name}" in script
    assert "http://minio:9000" in script


def test_the_proxy_sends_to_both_gateways_and_lets_big_slow_requests_through(compose: dict[str, Any]) -> None:
    (mount,) = compose["services"]["proxy"]["volumes"]
    source, target, mode = mount.split(":")
    assert (target, mode) == ("/etc/nginx/nginx.conf", "ro")
    conf = (ROOT / source).read_text()
    assert re.findall(r"server (gateway-\d):8080", conf) == list(GATEWAYS)
    assert "listen 8080;" in conf and "proxy_buffering off;" in conf
    body = re.search(r"client_max_body_size (\d+)m;", conf)
    assert body is not None and int(body[1]) >= Settings.model_fields["max_body_mb"].default
    read = re.search(r"proxy_read_timeout (\d+)s;", conf)
    assert read is not None and int(read[1]) > Settings.model_fields["deadline"].default
