"""Each `make serve` has its own gunicorn control socket, so gunicornc reaches the server it names."""

import runpy
from pathlib import Path

from django.conf import settings


def test_each_port_has_its_own_control_socket_beside_the_data(monkeypatch):
    conf = Path(settings.BASE_DIR) / "conflictmap" / "gunicorn_conf.py"
    sockets = []
    for port in ("8124", "8125"):
        monkeypatch.setenv("PORT", port)
        loaded = runpy.run_path(str(conf))
        sockets.append(loaded.get("control_socket", "~/.gunicorn/gunicorn.ctl (gunicorn's default, one per user)"))
        assert loaded.get("control_socket_disable") is not True or len(sockets[-1]) > 100
    assert sockets == [str(Path(settings.BASE_DIR) / "var" / f"gunicorn-{port}.ctl") for port in ("8124", "8125")]
