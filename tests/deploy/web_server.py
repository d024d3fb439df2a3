"""The web image's runtime stage run without an engine: its files laid out in a scratch
root, its entrypoint script writing ``config.json`` then starting Debian's nginx with
the image's ``nginx.conf`` (paths mapped into the scratch root), as uid 10001 when the
tests run as root (the image's user), on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Final

from agora_platform.private import free_port

from .layout import ROOT
from .tools import nginx

DEPLOY: Final = ROOT / "apps" / "web" / "deploy"
IMAGE_USER: Final = 10001


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Served:
    """The running server: its origin, the scratch root it serves, its master's pid."""

    origin: str
    root: Path
    pid: int

    def get(self, path: str, *, gzip_ok: bool = False) -> Response:
        request = urllib.request.Request(self.origin + path)  # noqa: S310  (loopback)
        if gzip_ok:
            request.add_header("Accept-Encoding", "gzip")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def uid(self) -> int:
        """The real uid the server's master process runs as."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("Uid:"))
        return int(line.split()[1])


def _image_config(port: int, root: Path, mime_types: Path) -> str:
    """The image's nginx.conf with its absolute paths moved into ``root``."""
    text = (DEPLOY / "nginx.conf").read_text()
    for old, new in (
        # First: the scratch root may itself be under /tmp.
        ("/tmp/", f"{root}/tmp/"),  # noqa: S108  (the image's writable mount)
        ("/etc/nginx/mime.types", str(mime_types)),
        ("/etc/nginx/agora/", f"{root}/etc/agora/"),
        ("/usr/share/nginx/html", f"{root}/html"),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
    ):
        assert old in text, f"nginx.conf no longer mentions {old}"
        text = text.replace(old, new)
    return text


def _wait_for_health(origin: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{origin}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not answer /healthz within 30 s")


@contextmanager
def serve_runtime_stage(dist: Path, env: Mapping[str, str]) -> Iterator[Served]:
    """Serve ``dist`` as the image would, with ``env`` as the container's variables."""
    server = nginx()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        root.chmod(0o755)  # readable by the server's user, writable by root only
        shutil.copytree(dist, root / "html")
        (root / "etc" / "agora").mkdir(parents=True)
        (root / "sbin").mkdir()
        shutil.copy(DEPLOY / "security-headers.conf", root / "etc" / "agora")
        shutil.copy(server.binary, root / "sbin" / "nginx")
        shutil.copy(server.mime_types, root / "etc" / "mime.types")
        shutil.copy(DEPLOY / "write-config.sh", root / "sbin" / "agora-web-write-config")
        (root / "tmp").mkdir()  # the tmpfs / emptyDir: the only writable place
        port = free_port()
        conf = root / "etc" / "nginx.conf"
        conf.write_text(_image_config(port, root, root / "etc" / "mime.types"))
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() or path.parent.name == "sbin" else 0o644)
        as_user: list[str] = []
        if os.geteuid() == 0:
            os.chown(root / "tmp", IMAGE_USER, IMAGE_USER)
            as_user = [
                "setpriv",
                f"--reuid={IMAGE_USER}",
                f"--regid={IMAGE_USER}",
                "--clear-groups",
            ]
        command = [
            *as_user,
            "/bin/sh",
            str(root / "sbin" / "agora-web-write-config"),
            *(str(root / "sbin" / "nginx"), "-e", "stderr", "-p", str(root), "-c", str(conf)),
            *("-g", "daemon off;"),
        ]
        # nginx reopens /dev/stderr (as in the image): a file its user may open, not a
        # pipe owned by the test's user.
        log = root / "tmp" / "server.log"
        with open(log, "w") as output:
            if os.geteuid() == 0:
                os.chown(log, IMAGE_USER, IMAGE_USER)
            process = subprocess.Popen(  # noqa: S603  (our own files)
                command,
                env={
                    "PATH": os.environ["PATH"],
                    "AGORA_WEB_CONFIG_DIR": f"{root}/tmp/agora-web",  # noqa: S108
                    **env,
                },
                stdout=output,
                stderr=output,
            )
        origin = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(origin, process, log)
            yield Served(origin, root, process.pid)
        finally:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
