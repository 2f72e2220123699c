"""Production as the README documents it: DEBUG off, static files from a real
`collectstatic` behind WhiteNoise's manifest, and `check --deploy` without a warning."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from annotations.models import Layer, Membership, Span
from annotations.taggers import pretag

from .conftest import make_user

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def run_manage(var_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with the given environment, SQLite and var/ in var_dir."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECURE_"))}
    keep.pop("DATABASE_URL", None)
    keep.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests set it for themselves
    environment = {**keep, "NEWSDESK_VAR_DIR": str(var_dir), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def documented_environment() -> dict[str, str]:
    """The `export NAME=value` lines of README's Production section."""
    section = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    env = {}
    for line in re.findall(r"^export (.+)$", section, re.MULTILINE):
        for word in shlex.split(line, comments=True):
            name, value = word.split("=", 1)
            env[name] = value
    return env


def production_environment() -> dict[str, str]:
    env = documented_environment()
    env.pop("DATABASE_URL")  # the same checks on SQLite, without a server
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # README: 50 or more random characters
    return env


def test_the_readme_documents_a_production_environment():
    env = documented_environment()
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    assert int(env["SECURE_HSTS_SECONDS"]) >= 31536000
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL"} <= set(env)


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_documented_environment(tmp_path):
    result = run_manage(
        tmp_path, production_environment(), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # The documented placeholder key is refused as it stands.
    placeholder = {**production_environment(), "SECRET_KEY": documented_environment()["SECRET_KEY"]}
    weak = run_manage(tmp_path, placeholder, "check", "--deploy", "--fail-level", "WARNING")
    assert weak.returncode != 0 and "security.W009" in weak.stdout + weak.stderr


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """A real `collectstatic` with the production settings, as scripts/serve.sh runs it."""
    var_dir = tmp_path_factory.mktemp("var")
    result = run_manage(var_dir, production_environment(), "collectstatic", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (var_dir / "static" / "staticfiles.json").exists()
    return var_dir / "static"


@pytest.fixture
def production(settings, static_root):
    settings.DEBUG = False
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}


def static_urls(html: str) -> set[str]:
    return set(re.findall(r"""(/static/[^"'\s)]+)""", html))


def assert_renders_with_its_static_files(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    urls = static_urls(html)
    assert urls, path
    for url in urls:
        # Hashed names, served by WhiteNoise from the collected files.
        assert re.search(r"\.[0-9a-f]{12}\.", url), url
        assert Client().get(url).status_code == 200, url


@pytest.mark.slow
def test_pages_render_with_debug_off_and_the_manifest(production, corpus, article, alice, places):
    editor = make_user(corpus, "edith", Membership.EDITOR)
    editor.is_staff = True
    editor.save()
    pretag(article)
    layer = Layer.objects.create(article=article, kind=Layer.ANNOTATOR, annotator=alice)
    start = article.body.index("الرقة")
    span = Span.objects.create(layer=layer, start=start, end=start + 5, label="LOC")

    assert_renders_with_its_static_files(Client(), "/accounts/login/")
    client = Client()
    client.force_login(editor)
    for path in [
        "/articles/",
        article.get_absolute_url(),
        f"/articles/{article.pk}/history/",
        f"/layers/{layer.pk}/",
        "/review/",
        f"/agreement/?corpus={corpus.pk}",
        "/export/",
        "/imports/",
        "/tagger/",
        "/tagger/corrections/",
        "/search/?q=%D8%A7%D9%84%D8%B1%D9%82%D8%A9",
        f"/events/?corpus={corpus.pk}",
        "/incidents/",
        "/incidents/list/",
        "/admin/",
        "/admin/annotations/actor/",
    ]:
        assert_renders_with_its_static_files(client, path)
    # The linking panel points at the shipped map data by its hashed name, too.
    annotator = Client()
    annotator.force_login(alice)
    assert annotator.get(article.get_absolute_url()).status_code == 200
    panel = annotator.get(f"/spans/{span.pk}/").content.decode()
    outlines = [u for u in static_urls(panel) if "countries-50m" in u]
    assert outlines and Client().get(outlines[0]).status_code == 200


def test_serve_sh_collects_static_files_before_serving():
    script = (ROOT / "scripts" / "serve.sh").read_text()
    assert script.index("collectstatic --noinput") < script.index("gunicorn")
