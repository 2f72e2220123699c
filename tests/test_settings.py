"""Settings come from the environment and refuse an unsafe production configuration."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    code = (
        "import newsdesk.settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default'].get('OPTIONS', {}))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    environment |= {"NEWSDESK_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_it_refuses_the_development_key_when_debug_is_off(tmp_path):
    result = load_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr
    assert load_settings(tmp_path, DEBUG="false", SECRET_KEY="x" * 50).returncode == 0


def test_sqlite_is_the_default_with_wal_and_a_busy_timeout(tmp_path):
    result = load_settings(tmp_path)
    assert result.stdout.startswith("django.db.backends.sqlite3")
    assert "journal_mode=WAL" in result.stdout and "'timeout': 20" in result.stdout


def test_database_url_switches_to_postgresql(tmp_path):
    result = load_settings(tmp_path, DATABASE_URL="postgres://u@db.example:5432/newsdesk")
    assert result.stdout.startswith("django.db.backends.postgresql")
    # JIT compilation cost more than the searches it compiled (bench/search.py).
    assert "'options': '-c jit=off'" in result.stdout
    result = load_settings(
        tmp_path, DATABASE_URL="postgres://u@db.example:5432/newsdesk?options=-c%20work_mem%3D64MB"
    )
    assert "-c work_mem=64MB -c jit=off" in result.stdout
