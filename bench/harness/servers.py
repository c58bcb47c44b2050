"""Start/stop the three servers: the nginx fake upstream, imagegate, and the litellm proxy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .procs import Server, free_port, spawn, wait_http_ok

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
NGINX_TEMPLATE = BENCH_DIR / "fake_upstream" / "nginx.conf.template"
MAKE_BODIES = BENCH_DIR / "fake_upstream" / "make_bodies.py"
GATEWAY_CORE = 0
LOAD_CORE = 1
MASTER_KEY = "sk-imagegate-bench-master"
UPSTREAM_KEY = "sk-bench"
LOOPBACK_GUARD = {
    # Anything that ignores api_base and tries the internet goes to a closed loopback port.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


@dataclass
class Workdirs:
    root: Path  # bench/.work or a temp dir

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def litellm_venv(self) -> Path:
        return self.root / "litellm-venv"


def ensure_apt(binary: str, package: str) -> str | None:
    """Return the path of `binary`, installing the Debian `package` if it is missing."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        if subprocess.run(cmd, env=env, timeout=900, check=False).returncode != 0:
            return None
    return shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)


def make_data(work: Workdirs) -> None:
    """Generate the fake upstream bodies and upload images (idempotent)."""
    subprocess.run(
        [sys.executable, str(MAKE_BODIES), str(work.data)], check=True, timeout=600, stdout=subprocess.DEVNULL
    )


def start_nginx(nginx: str, work: Workdirs) -> Server:
    """Render the config into a private prefix and run nginx in the foreground on LOAD_CORE."""
    port = free_port()
    prefix = work.root / "nginx"
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = NGINX_TEMPLATE.read_text()
    for key, value in {
        "@PREFIX@": str(prefix),
        "@PORT@": str(port),
        "@BODIES@": str(work.data / "bodies"),
    }.items():
        conf = conf.replace(key, value)
    (prefix / "nginx.conf").write_text(conf)
    # nginx workers drop to user nobody: the body files and their parents must be readable.
    for path in (work.root, work.data, *work.data.rglob("*")):
        path.chmod(path.stat().st_mode | 0o055 if path.is_dir() else path.stat().st_mode | 0o044)
    argv = [
        nginx,
        "-p",
        str(prefix),
        "-e",
        str(prefix / "error.log"),
        "-c",
        str(prefix / "nginx.conf"),
        "-g",
        "daemon off;",
    ]
    server = spawn("nginx", argv, core=LOAD_CORE, env=os.environ, log_path=work.logs / "nginx.log", port=port)
    if not wait_http_ok(server, f"http://127.0.0.1:{port}/healthz", timeout=15):
        server.stop()
        raise RuntimeError(f"nginx did not start:\n{server.log_tail()}\n{(prefix / 'error.log').read_text()}")
    return server


def start_gateway_process(name: str, argv: list[str], env: dict[str, str], work: Workdirs, port: int, ready_path: str,
                          timeout: float) -> Server:
    """Start a gateway under test on the gateway core and wait for ``ready_path`` to answer 200."""
    server = spawn(name, argv, core=GATEWAY_CORE, env=env, log_path=work.logs / f"{name}.log", port=port,
                   cwd=work.root)
    if not wait_http_ok(server, f"http://127.0.0.1:{port}{ready_path}", timeout=timeout):
        tail = server.log_tail()
        server.stop()
        raise RuntimeError(f"{name} did not become ready:\n{tail}")
    return server


def imagegate_argv() -> list[str]:
    exe = Path(sys.executable).with_name("imagegate")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "imagegate"]


def start_imagegate(work: Workdirs, upstream_port: int, variant: str, timeout: float = 60) -> Server:
    """`imagegate serve` on GATEWAY_CORE with the fake upstream as OPENAI_BASE_URL."""
    port = free_port()
    data_dir = work.root / f"imagegate-data-{variant}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "OPENAI_API_KEY": UPSTREAM_KEY,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/{variant}/v1",
        "IMAGEGATE_MASTER_KEY": MASTER_KEY,
        "IMAGEGATE_DATA_DIR": str(data_dir),
    }
    argv = [*imagegate_argv(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return start_gateway_process(f"imagegate-{variant}", argv, env, work, port, "/healthz", timeout)


def ensure_litellm(work: Workdirs, timeout: float = 1200) -> tuple[Path | None, str]:
    """Create the litellm venv if needed; returns (litellm executable or None, note)."""
    exe = work.litellm_venv / "bin" / "litellm"
    if exe.exists():
        return exe, "already installed"
    log = work.logs / "litellm-install.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(work.litellm_venv)],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
            pip = work.litellm_venv / "bin" / "pip"
            subprocess.run(
                [str(pip), "install", "-q", "litellm[proxy]"],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            return None, f"pip install 'litellm[proxy]' failed ({exc}); see {log}"
    return (exe, "installed") if exe.exists() else (None, f"no litellm executable after install; see {log}")


def litellm_version(work: Workdirs) -> str:
    py = work.litellm_venv / "bin" / "python"
    if not py.exists():
        return "not installed"
    out = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def litellm_config(upstream_port: int, variant: str) -> str:
    return f"""model_list:
  - model_name: gpt-image-1
    litellm_params:
      model: openai/gpt-image-1
      api_base: http://127.0.0.1:{upstream_port}/{variant}/v1
      api_key: {UPSTREAM_KEY}
litellm_settings:
  telemetry: false
  drop_params: true
  set_verbose: false
general_settings:
  master_key: {MASTER_KEY}
"""


def start_litellm(
    exe: Path, work: Workdirs, upstream_port: int, variant: str, timeout: float = 120
) -> Server:
    """`litellm --config ... --num_workers 1` on GATEWAY_CORE, offline, against the fake upstream."""
    port = free_port()
    cfg = work.root / f"litellm-{variant}.yaml"
    cfg.write_text(litellm_config(upstream_port, variant))
    env = {
        **os.environ,
        **LOOPBACK_GUARD,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
        "LITELLM_LOG": "ERROR",
        "DISABLE_ADMIN_UI": "True",
        "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
        "OPENAI_API_KEY": UPSTREAM_KEY,
    }
    env.pop("DATABASE_URL", None)
    argv = [str(exe), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    return start_gateway_process(f"litellm-{variant}", argv, env, work, port, "/health/liveliness", timeout)
