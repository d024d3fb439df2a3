"""The web app's image (``apps/web/Dockerfile``), checked without a Docker engine.

Its structure is read with ``dockerfile-parse``; its build stage is replayed for real
(the ``COPY`` lines on the context filtered by ``.dockerignore``, then the stage's npm
commands); its runtime stage is run for real too: the entrypoint script writes
``config.json`` and starts Debian's nginx with the image's configuration, its paths
mapped into a scratch directory, as an unprivileged user, and the tests ask it over HTTP.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agora_platform.web import WebConfig

from .build_context import context_files, instructions, is_ignored, read_dockerignore
from .build_context import replay_build_stage as replay
from .layout import ROOT
from .web_server import Served, serve_runtime_stage

pytestmark = pytest.mark.deploy

DOCKERFILE = ROOT / "apps" / "web" / "Dockerfile"
IGNORE = read_dockerignore(ROOT / ".dockerignore")
WRITE_CONFIG = ROOT / "apps" / "web" / "deploy" / "write-config.sh"
ENDPOINTS = {
    "catalog": "https://api.example.com/catalog",
    "community": "https://api.example.com/community",
    "gamification": "https://api.example.com/gamification",
    "notifications": "https://api.example.com/notifications",
}
CONFIG_ENV = {
    "AGORA_WEB_ISSUER": "https://login.example.com/realms/acme",
    "AGORA_WEB_RESOURCE": "https://agora.example/api",
    **{f"AGORA_WEB_{name.upper()}_URL": url for name, url in ENDPOINTS.items()},
}


def stage(name: str) -> list[tuple[str, str]]:
    return [(s.instruction, s.value) for s in instructions(DOCKERFILE) if s.stage == name]


def one(steps: list[tuple[str, str]], instruction: str) -> str:
    found = [value for kind, value in steps if kind == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {found}"
    return found[0]


def write_config(env: dict[str, str], directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own script)
        ["/bin/sh", str(WRITE_CONFIG), "true"],
        env={"PATH": os.environ["PATH"], "AGORA_WEB_CONFIG_DIR": str(directory), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_two_stages_on_pinned_images() -> None:
    text = DOCKERFILE.read_text()
    node = re.search(r"^ARG NODE_IMAGE=(\S+)$", text, re.M)
    nginx = re.search(r"^ARG NGINX_IMAGE=(\S+)$", text, re.M)
    assert node, "the Dockerfile no longer sets ARG NODE_IMAGE"
    assert nginx, "the Dockerfile no longer sets ARG NGINX_IMAGE"
    assert re.fullmatch(r"node:\d+\.\d+\.\d+-[a-z]+-slim", node[1])
    assert re.fullmatch(r"nginxinc/nginx-unprivileged:\d+\.\d+\.\d+-alpine", nginx[1])
    froms = [s.value for s in instructions(DOCKERFILE) if s.instruction == "FROM"]
    assert froms == ["${NODE_IMAGE} AS build", "${NGINX_IMAGE} AS runtime"]


def test_build_stage_installs_from_the_lock_files_without_scripts() -> None:
    runs = [value for kind, value in stage("build") if kind == "RUN"]
    installs = [shlex.split(r) for r in runs if " ci " in f" {r} "]
    assert len(installs) == 2, runs
    assert all("--ignore-scripts" in words for words in installs)
    assert not any(" install " in f" {r} " for r in runs), "npm install ignores the lock"


def test_runtime_stage_is_the_built_files_served_by_an_unprivileged_server() -> None:
    runtime = stage("runtime")
    copies = [value for kind, value in runtime if kind == "COPY"]
    assert [c for c in copies if c.startswith("--from")] == [
        "--from=build /src/apps/web/dist/ /usr/share/nginx/html/"
    ]
    uid, _, gid = one(runtime, "USER").partition(":")
    assert uid == gid == "10001"  # the chart's and Compose's pod user, as the services
    assert one(runtime, "EXPOSE") == "8080"
    assert one(runtime, "ENTRYPOINT") == '["agora-web-write-config"]'
    assert one(runtime, "CMD") == '["nginx", "-g", "daemon off;"]'
    assert one(runtime, "STOPSIGNAL") == "SIGQUIT"  # nginx's graceful stop
    check = one(runtime, "HEALTHCHECK").split(" CMD ", 1)[1]
    assert shlex.split(check) == ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
    # config.json is written where nginx serves it from, inside the writable /tmp.
    env = dict(w.split("=", 1) for w in shlex.split(one(runtime, "ENV")))
    conf = (ROOT / "apps" / "web" / "deploy" / "nginx.conf").read_text()
    assert f"alias {env['AGORA_WEB_CONFIG_DIR']}/config.json;" in conf
    assert env["AGORA_WEB_CONFIG_DIR"].startswith("/tmp/")  # noqa: S108  (the writable mount)


def test_dockerignore_keeps_the_app_and_clients_and_drops_builds() -> None:
    files = context_files(ROOT, IGNORE)
    for kept in (
        "apps/web/package-lock.json",
        "apps/web/src/main.tsx",
        "apps/web/deploy/nginx.conf",
        "clients/typescript/src/index.ts",
    ):
        assert kept in files, kept
    for dropped in (
        "apps/web/node_modules/preact/package.json",
        "apps/web/dist/index.html",
        "clients/typescript/node_modules/@bufbuild/protobuf/package.json",
    ):
        assert is_ignored(dropped, IGNORE), dropped


def test_build_stage_replayed_builds_the_app(tmp_path: Path) -> None:
    """npm ci and the build as the image runs them, on exactly what its COPY lines bring."""
    env: dict[str, str] = {}
    commands = replay(DOCKERFILE, ROOT, IGNORE, tmp_path, env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "npm"
    run_env = {
        **os.environ,
        **env,
        "npm_config_cache": str(cache),
        "npm_config_prefer_offline": "true",
    }
    for command in commands:
        assert command[0] == "npm", command
        done = subprocess.run(  # noqa: S603  (arguments from our own Dockerfile)
            command,
            cwd=tmp_path,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, (command, (done.stdout + done.stderr)[-3000:])
    dist = tmp_path / "apps" / "web" / "dist"
    assert (dist / "index.html").is_file()
    assert list((dist / "assets").glob("*.js")), "the build wrote no bundle"


def test_config_json_is_what_the_local_platform_serves(tmp_path: Path) -> None:
    done = write_config(CONFIG_ENV, tmp_path)
    assert done.returncode == 0, done.stderr
    written = json.loads((tmp_path / "config.json").read_text())
    local = WebConfig(CONFIG_ENV["AGORA_WEB_ISSUER"], ENDPOINTS).as_json()
    assert written == {**local, "rolesClaim": "roles"}


def test_config_json_takes_the_provider_s_claims_and_client(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in CONFIG_ENV.items() if k != "AGORA_WEB_RESOURCE"},
        "AGORA_WEB_CLIENT_ID": "learning-portal",
        "AGORA_WEB_SCOPE": "openid profile email",
        "AGORA_WEB_ROLES_CLAIM": "realm_access.roles",
    }
    assert write_config(env, tmp_path).returncode == 0
    written = json.loads((tmp_path / "config.json").read_text())
    assert "resource" not in written
    assert (written["clientId"], written["scope"], written["rolesClaim"]) == (
        "learning-portal",
        "openid profile email",
        "realm_access.roles",
    )


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("AGORA_WEB_ISSUER", "", "AGORA_WEB_ISSUER is required"),
        ("AGORA_WEB_CATALOG_URL", "api.example.com", "must be an http(s) URL"),
        ("AGORA_WEB_ISSUER", 'https://x.example/"}, {"issuer', "not allowed in a URL"),
        ("AGORA_WEB_SCOPE", "openid\\profile", "AGORA_WEB_SCOPE may hold"),
        ("AGORA_WEB_RESOURCE", "urn:agora", "must be an http(s) URL"),
    ],
)
def test_a_missing_or_unsafe_value_stops_the_start(
    tmp_path: Path, variable: str, value: str, complaint: str
) -> None:
    done = write_config({**CONFIG_ENV, variable: value}, tmp_path)
    assert done.returncode == 64
    assert complaint in done.stderr
    assert not (tmp_path / "config.json").exists()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    dist = ROOT / "apps" / "web" / "dist"
    if not (dist / "index.html").exists():
        from agora_platform.web import build_web

        build_web(ROOT)
    with serve_runtime_stage(dist, CONFIG_ENV) as server:
        yield server


def test_the_server_answers_health_and_the_written_config(served: Served) -> None:
    assert served.get("/healthz").body == b"ok\n"
    config = served.get("/config.json")
    assert config.status == 200
    assert config.headers["Content-Type"] == "application/json"
    assert config.headers["Cache-Control"] == "no-store"
    assert json.loads(config.body)["endpoints"] == ENDPOINTS


def test_the_app_is_served_for_every_route_and_revalidated(served: Served) -> None:
    index = served.get("/")
    assert index.status == 200
    assert b'<div id="app">' in index.body
    assert index.headers["Cache-Control"] == "no-cache"
    assert index.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]
    assert served.get("/inbox").body == index.body  # any other path: the app
    assert served.get("/assets/missing.js").status == 404  # but never for a bundle


def test_bundles_are_compressed_and_cached_for_good(served: Served) -> None:
    index = served.get("/").body.decode()
    bundle = re.search(r'src="\.?/?(assets/[^"]+\.js)"', index)
    assert bundle, index
    plain = served.get(f"/{bundle[1]}")
    compressed = served.get(f"/{bundle[1]}", gzip_ok=True)
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.body) == plain.body
    assert compressed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert compressed.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Content-Type"].endswith("javascript")


def test_the_server_runs_unprivileged_beside_a_tree_it_cannot_change(served: Served) -> None:
    if os.geteuid() == 0:
        assert served.uid() == 10001  # the image's user
        for path in (served.root / "html", served.root / "etc" / "nginx.conf"):
            assert path.stat().st_uid == 0
            assert not path.stat().st_mode & 0o022  # not writable by the server's user
    assert served.uid() != 0
