"""Start throwaway PostgreSQL and Redis servers on loopback, for tests and benchmarks.

Both context managers yield a connection string and stop the server on exit. A missing
binary raises :class:`ServerUnavailable`; a server that will not start raises
:class:`ServerFailed` with its log.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_USER = "orderkit"
POSTGRES_DATABASE = "orderkit_test"
STARTUP_TIMEOUT = 30.0
REDIS_PING_TIMEOUT = 10.0


class ServerUnavailable(RuntimeError):
    """The server's binaries are not installed here."""


class ServerFailed(RuntimeError):
    """The server was found but did not start; the message holds its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read_log(log: Path) -> str:
    try:
        return log.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"


def _run(command: list[str], cwd: Path, log: Path | None = None) -> None:
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT * 2,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        details = f"timed out after {exc.timeout:.0f} s"
    else:
        if result.returncode == 0:
            return
        details = f"exit code {result.returncode}\n{result.stdout}{result.stderr}"
    server_log = f"\nserver log:\n{_read_log(log)}" if log is not None else ""
    raise ServerFailed(f"{' '.join(command)} failed: {details}{server_log}")


def _postgres_bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    installed = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(
        sorted(
            (path for path in installed if path.parent.name.isdigit()),
            key=lambda path: int(path.parent.name),
            reverse=True,
        )
    )
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "createdb")):
            return bindir
    return None


def _postgres_runner() -> tuple[list[str], pwd.struct_passwd | None]:
    """Return the command prefix and account for server commands (initdb refuses root)."""
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        account = None
    if runuser is None or account is None:
        raise ServerUnavailable("running as root needs runuser and the 'postgres' system user")
    return [runuser, "-u", "postgres", "--"], account


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a libpq DSN for a throwaway PostgreSQL server with an empty database."""
    bindir = _postgres_bindir()
    if bindir is None:
        raise ServerUnavailable(
            "PostgreSQL binaries not found (install the Debian package postgresql, "
            "or set ORDERKIT_TEST_POSTGRES_DSN)"
        )
    prefix, account = _postgres_runner()
    base = Path(tempfile.mkdtemp(prefix="orderkit-pg-", dir="/tmp"))
    try:
        if account is not None:
            os.chown(base, account.pw_uid, account.pw_gid)
        data = base / "data"
        log = base / "postgresql.log"
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "--pgdata",
                str(data),
                "--auth",
                "trust",
                "--username",
                POSTGRES_USER,
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=base,
        )
        port = _free_port()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\n"
                f"port = {port}\n"
                f"unix_socket_directories = '{base}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
        pg_ctl = [*prefix, str(bindir / "pg_ctl"), "--pgdata", str(data)]
        try:
            _run(
                [*pg_ctl, "--log", str(log), "--wait", f"--timeout={STARTUP_TIMEOUT:.0f}", "start"],
                cwd=base,
                log=log,
            )
            _run(
                [
                    str(bindir / "createdb"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--username",
                    POSTGRES_USER,
                    POSTGRES_DATABASE,
                ],
                cwd=base,
                log=log,
            )
            yield f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/{POSTGRES_DATABASE}"
        finally:
            subprocess.run(
                [*pg_ctl, "--mode", "immediate", "--wait", "stop"],
                cwd=base,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=STARTUP_TIMEOUT,
                check=False,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _wait_for_redis(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    deadline = time.monotonic() + REDIS_PING_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerFailed(
                    f"redis-server exited with code {process.returncode}\n{_read_log(log)}"
                )
            try:
                client.ping()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                time.sleep(0.05)
            else:
                return
    finally:
        client.close()
    raise ServerFailed(
        f"redis-server did not answer PING within {REDIS_PING_TIMEOUT:.0f} s\n{_read_log(log)}"
    )


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield a ``redis://`` URL for a throwaway Redis server without persistence."""
    server = shutil.which("redis-server")
    if server is None:
        raise ServerUnavailable(
            "redis-server not found (install the Debian package redis-server, "
            "or set ORDERKIT_TEST_REDIS_URL)"
        )
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="orderkit-redis-"))
    log = workdir / "redis.log"
    try:
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(workdir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            _wait_for_redis(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
