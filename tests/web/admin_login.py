"""Signing in to the admin in a browser test: a superuser made for the test, then the login form."""

PASSWORD = "long-enough-test-password"  # noqa: S105  (tests only)


def admin_login(page, url: str, *, username: str = "boss") -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser(username, password=PASSWORD)
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
