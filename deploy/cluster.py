"""A production-shaped dam on loopback: ``make cluster`` / ``make cluster-down``.

nginx (deploy/nginx) in front of 2 gunicorn web nodes (deploy/gunicorn.conf.py) and 2 Celery
workers (the Procfile's commands, run as they are), on a PostgreSQL and a Redis of its own, with a
moto server as the S3 endpoint. Configuration is environment variables only, exactly as an
operator would set them; no code path knows it runs here. Every port is a free one.

    python -m deploy.cluster up     # starts everything, prints URLs and an API key, returns
    python -m deploy.cluster down   # stops everything ``up`` started

The cluster test suite (tests/cluster) drives the same class and injects faults into it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
STATE_DIR = ROOT / "var" / "cluster"
BUCKET = "dam"
EAGER_SPECS = ("thumb", "small")  # made by the workers right after each upload
START_TIMEOUT = 60.0  # seconds for any one process to come up on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {seconds:.0f} s waiting for {what}")


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


@dataclass
class Proc:
    """One process the cluster started (its own session, so its children die with it)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.popen is not None, f"{self.name} was never started"
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            assert self.popen is not None
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)  # type: ignore[union-attr]


class Postgres:
    """A PostgreSQL instance of the cluster's own (initdb in its directory, a free port), so a
    test may stop it without touching the machine's. As root it runs as the ``postgres`` user."""

    def __init__(self, directory: Path) -> None:
        self.dir, self.port = directory, free_port()
        self.data, self.log = directory / "data", directory / "postgres.log"
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/dam"

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, cwd="/")

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in (self.dir, *self.dir.parents):
                if path == path.parent or path in (Path("/tmp"), Path("/")):  # noqa: S108
                    break
                os.chmod(path, os.stat(path).st_mode | 0o011)  # noqa: S103  (postgres must traverse)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        self.start()
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "dam"
        )

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


class Redis:
    """A redis-server of the cluster's own. Append-only persistence, as a production broker needs:
    queued and unacknowledged tasks survive a restart."""

    def __init__(self, directory: Path) -> None:
        self.dir, self.port = directory, free_port()
        self.proc: Proc | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no"]  # fmt: skip
        self.proc = Proc("redis", argv, dict(os.environ), self.dir / "redis.log")
        self.proc.start()
        wait_until(lambda: port_open(self.port), START_TIMEOUT, "redis")

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()


@dataclass
class Cluster:
    """Everything ``make cluster`` runs. ``s3_endpoint`` lets the test suite put its fault
    injecting proxy between the app and moto; by default the app talks to moto directly."""

    dir: Path
    web_nodes: int = 2
    workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    api_key: str = ""

    def __post_init__(self) -> None:
        self.logs = self.dir / "logs"
        self.postgres = Postgres(self.dir / "postgres")
        self.redis = Redis(self.dir / "redis")
        self.ports["nginx"] = free_port()
        self.ports["moto"] = free_port()
        for index in range(1, self.web_nodes + 1):
            self.ports[f"web{index}"] = free_port()

    # --- the backing services -------------------------------------------------------------------

    def start_backends(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres.init()
        self.redis.start()
        moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.ports["moto"])]
        self._start(Proc("moto", moto, dict(os.environ), self.logs / "moto.log"), self.ports["moto"])
        self._create_bucket()

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['moto']}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[f'web{index}']}"

    def _create_bucket(self) -> None:
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name="us-east-1",
                          aws_access_key_id="cluster", aws_secret_access_key="cluster")  # noqa: S106  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
        public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                  "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/renditions/*"}]}  # fmt: skip
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public))

    # --- the application ----------------------------------------------------------------------------

    def env(self, s3_endpoint: str | None = None) -> dict[str, str]:
        """The production settings: environment variables only (README's settings table)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DAM_", "DATABASE_URL", "AWS_"))}
        return {
            **base,
            # The Procfile's commands (gunicorn, celery) are this interpreter's.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",
            "DATABASE_URL": self.postgres.url,
            "DAM_SECRET_KEY": self.secret_key,
            "DAM_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DAM_CSRF_TRUSTED_ORIGINS": self.url,
            "DAM_PUBLIC_BASE_URL": self.url,
            "DAM_SECURE_COOKIES": "false",  # plain http on loopback (production cookies are Secure)
            "DAM_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": s3_endpoint or self.moto_url,
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster",
            "DAM_BROKER_URL": self.redis.url(0),
            "DAM_CACHE_URL": self.redis.url(1),
            "DAM_VAR_DIR": str(self.dir / "var"),
            "DAM_TASK_QUEUE": "dam",
            "WEB_CONCURRENCY": "2",
            "DAM_WEB_THREADS": "4",
            "DAM_WORKER_CONCURRENCY": "1",
            # A task lost with the broker is queued again after 30 s (production: 10 minutes), so
            # the faults' "every upload reaches ready" holds within the suite's wait.
            "DAM_EAGER_STALL_SECONDS": "30",
            **self.extra_env,
        }

    @property
    def secret_key(self) -> str:
        path = self.dir / "secret-key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text()

    def manage(self, *args: str, env: dict[str, str]) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start_app(self, s3_endpoint: str | None = None) -> None:
        self.app_env = self.env(s3_endpoint)
        self.manage("migrate", "--no-input", env=self.app_env)
        self.manage("collectstatic", "--no-input", "--verbosity", "0", env=self.app_env)
        self.api_key = self.manage("create_api_key", "cluster", env=self.app_env).strip().splitlines()[-1]
        # Editors' choice, made here so the workers have work: thumbnails are made after upload.
        self.manage(
            "shell",
            "-c",
            "from renditions.models import RenditionSpec as S; "
            f"S.objects.filter(name__in={list(EAGER_SPECS)!r}).update(eager=True)",
            env=self.app_env,
        )
        for index in range(1, self.web_nodes + 1):
            self.start_web(index)
        for index in range(1, self.workers + 1):
            self.start_worker(index)
        self.start_beat()
        self.start_nginx()

    def start_web(self, index: int) -> None:
        port = self.ports[f"web{index}"]
        env = {**self.app_env, "PORT": str(port),
               "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "metrics" / f"web{index}")}  # fmt: skip
        argv = ["bash", "-c", f"exec {procfile()['web']}"]
        self._start(Proc(f"web{index}", argv, env, self.logs / f"web{index}.log"), port, path="/readyz")

    def start_worker(self, index: int) -> None:
        env = {**self.app_env, "DAM_WORKER_NAME": f"worker{index}"}
        proc = Proc(
            f"worker{index}",
            ["bash", "-c", f"exec {procfile()['worker']}"],
            env,
            self.logs / f"worker{index}.log",
        )
        offset = proc.log.stat().st_size if proc.log.exists() else 0
        proc.start()
        self.procs[proc.name] = proc
        wait_until(lambda: b" ready." in proc.log.read_bytes()[offset:], START_TIMEOUT, proc.name)

    def start_beat(self) -> None:
        """One scheduler for the cluster (the sweeps of lost webhook sends and stalled assets)."""
        env = {**self.app_env, "DAM_BEAT_SCHEDULE": str(self.dir / "celerybeat-schedule")}
        proc = Proc("beat", ["bash", "-c", f"exec {procfile()['beat']}"], env, self.logs / "beat.log")
        proc.start()
        self.procs[proc.name] = proc
        wait_until(lambda: b"beat: Starting" in proc.log.read_bytes(), START_TIMEOUT, proc.name)

    def start_nginx(self) -> None:
        from deploy.render import render

        prefix = self.dir / "nginx"
        for sub in ("logs", "run", "tmp", "cache"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        nodes = ",".join(f"127.0.0.1:{self.ports[f'web{i}']}" for i in range(1, self.web_nodes + 1))
        values = {"DAM_NGINX_WORKERS": "1", "DAM_NGINX_LISTEN": f"127.0.0.1:{self.ports['nginx']}",
                  "DAM_NGINX_RUN_DIR": str(prefix / "run"), "DAM_NGINX_LOG_DIR": str(prefix / "logs"),
                  "DAM_NGINX_TEMP_DIR": str(prefix / "tmp"), "DAM_NGINX_CACHE_DIR": str(prefix / "cache"),
                  "DAM_NGINX_CACHE_MAX_SIZE": "1g", "DAM_WEB_NODES": nodes}  # fmt: skip
        conf = prefix / "dam.conf"
        conf.write_text(render((DEPLOY / "nginx" / "dam.conf.template").read_text(), values))
        argv = [nginx_binary(), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]
        subprocess.run([*argv, "-t"], check=True, capture_output=True)
        self._start(Proc("nginx", argv, dict(os.environ), self.logs / "nginx.log"), self.ports["nginx"])

    def _start(self, proc: Proc, port: int, path: str | None = None) -> None:
        proc.start()
        self.procs[proc.name] = proc

        def up() -> bool:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited:\n{proc.log.read_text()[-3000:]}")
            if path is None:
                return port_open(port)
            import urllib.request

            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
                    return bool(reply.status == 200)
            except OSError:
                return False

        wait_until(up, START_TIMEOUT, proc.name)

    # --- lifecycle ----------------------------------------------------------------------------------

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self.procs[name].stop()
        self.redis.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.postgres.stop()

    def save_state(self) -> None:
        state = {"dir": str(self.dir), "pids": {n: p.pid for n, p in self.procs.items()},
                 "redis": self.redis.proc.pid if self.redis.proc else None,
                 "postgres": {"bin": str(self.postgres.bin), "data": str(self.postgres.data)}}  # fmt: skip
        (STATE_DIR / "state.json").write_text(json.dumps(state))

    def log_lines(self, prefix: str = "") -> Iterator[str]:
        for log in sorted(self.logs.glob(f"{prefix}*.log")):
            yield from log.read_text(errors="replace").splitlines()


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx is not installed: apt-get install -y nginx")
    return found


def up() -> None:
    if (STATE_DIR / "state.json").exists():
        raise SystemExit("A cluster is already running: `make cluster-down` first.")
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    STATE_DIR.mkdir(parents=True)
    cluster = Cluster(STATE_DIR)
    try:
        cluster.start_backends()
        cluster.start_app()
    except BaseException:
        cluster.stop()
        raise
    cluster.save_state()
    print(f"""dam cluster is up (logs: {cluster.logs}):
  front (nginx):  {cluster.url}/  (admin: {cluster.url}/admin/, API: {cluster.url}/api/v1/)
  web nodes:      {", ".join(cluster.node_url(i) for i in range(1, cluster.web_nodes + 1))} (/metrics, /healthz)
  S3 (moto):      {cluster.moto_url} bucket {BUCKET}
  PostgreSQL:     {cluster.postgres.url}
  Redis:          {cluster.redis.url(0)}
  API key:        {cluster.api_key}
Try: curl -H "Authorization: Api-Key {cluster.api_key}" {cluster.url}/api/v1/assets/
Stop: make cluster-down""")


def down() -> None:
    state_file = STATE_DIR / "state.json"
    if not state_file.exists():
        print("No cluster is running.")
        return
    state = json.loads(state_file.read_text())
    pids = [*state["pids"].values(), state["redis"]]
    for pid in reversed([p for p in pids if p]):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 20
    for pid in [p for p in pids if p]:
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    pg = Postgres(Path(state["dir"]) / "postgres")
    pg.stop()
    state_file.unlink()
    print("dam cluster stopped.")


if __name__ == "__main__":
    commands = {"up": up, "down": down}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit("usage: python -m deploy.cluster up|down")
    commands[sys.argv[1]]()
