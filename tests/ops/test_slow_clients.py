"""Slow clients cannot hold `make serve`'s workers: clients that send half a request (and never the rest)
leave every other request answered. Against a real gunicorn started with `make serve`'s command line."""

import http.client
import json
import socket

import pytest

from tests.ops.served import database_url_for_the_server, get, served

pytestmark = [pytest.mark.serve, pytest.mark.django_db(transaction=True)]

HALF_A_REQUEST = b"GET /api/factions HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"


def half_open(base: str, count: int) -> list[socket.socket]:
    port = int(base.rsplit(":", 1)[1])
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(HALF_A_REQUEST)
        clients.append(client)
    return clients


def test_half_open_connections_do_not_stop_other_requests(seeded, tmp_path):
    # 2 workers x 2 threads: fewer threads than slow clients, so only not giving them a thread can pass.
    with served(tmp_path, database_url=database_url_for_the_server(tmp_path), workers=2, threads=2) as (base, log):
        slow = half_open(base, 8)
        try:
            statuses = [get(f"{base}/api/factions", timeout=8)[0] for _ in range(6)]
            assert statuses == [200] * 6, log.read_text()[-2000:]

            # Keep-alive still works: two requests on one connection.
            kept = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=8)
            for _ in range(2):
                kept.request("GET", "/api/factions")
                assert kept.getresponse().read() and kept.sock is not None
            # A body larger than one read of the headers reaches the app whole: parsed, the sign-in refused.
            body = json.dumps({"username": "x" * 150_000, "password": "y"})
            kept.request("POST", "/api/auth/token/", body=body, headers={"Content-Type": "application/json"})
            response = kept.getresponse()
            assert response.status == 400 and b"Unable to log in" in response.read()
            kept.close()

            # A slow client that does finish its request is answered too.
            slow[0].sendall(b"\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := slow[0].recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ")
        finally:
            for client in slow:
                client.close()
    assert "Traceback" not in log.read_text()


def test_a_client_that_never_finishes_its_headers_is_disconnected(seeded, tmp_path):
    url = database_url_for_the_server(tmp_path)
    with served(tmp_path, database_url=url, workers=1, threads=1, GUNICORN_HEADER_TIMEOUT="1") as (base, log):
        (client,) = half_open(base, 1)
        with client:
            client.settimeout(10)
            assert client.recv(1024) == b""  # closed by the server, not by this timeout
        assert get(f"{base}/api/factions")[0] == 200
    assert "Traceback" not in log.read_text()


def test_headers_ended_by_a_bare_line_feed_are_refused_at_once(seeded, tmp_path):
    """gunicorn answers such a request 400; the worker must hand it over, not wait for CRLF CRLF in silence."""
    with served(tmp_path, database_url=database_url_for_the_server(tmp_path), workers=1, threads=1) as (base, log):
        for request in (b"GET /api/factions HTTP/1.0\n\n", b"GET /api/factions HTTP/1.1\r\nHost: 127.0.0.1\n\n"):
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=8) as client:
                client.sendall(request)
                assert client.recv(1024).startswith(b"HTTP/1.1 400 ")  # before: no answer for 20 s
        assert get(f"{base}/api/factions")[0] == 200
    assert "Traceback" not in log.read_text()
