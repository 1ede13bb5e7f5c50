"""`python manage.py ...` works with development defaults; production (DEBUG=0) without SECRET_KEY is one line."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_commands_run_with_development_defaults(tmp_path):
    done = manage("check", SECRET_KEY_FILE=str(tmp_path / "key"), DATABASE_URL=f"sqlite:///{tmp_path / 'db'}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "key").exists()


def test_production_without_a_secret_key_is_one_clear_line(tmp_path):
    done = manage("check", DEBUG="0", DATABASE_URL=f"sqlite:///{tmp_path / 'db'}")
    assert done.returncode == 1
    assert done.stderr.strip() == "manage.py: SECRET_KEY must be set when DEBUG is off."
