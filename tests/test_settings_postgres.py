"""PostgreSQL connections run without JIT: the time slice's code generation cost more than it saved."""

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.postgresql_only("PostgreSQL settings")


@pytest.mark.django_db
def test_connections_have_jit_off():
    assert settings.DATABASES["default"]["OPTIONS"]["options"] == "-c jit=off"
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
