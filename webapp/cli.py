"""Commands: ``flask --app webapp seed | create-user | ensure-admin``."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from .domain.accounts import AccountError, create_user, generate_password
from .domain.audit import record_event
from .domain.reference import seed
from .extensions import db
from .models import Role, User


def register_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command() -> None:
        """Load regions, occupations, funding sources and settings (safe to repeat)."""
        added = seed()
        click.echo("Seeded: " + ", ".join(f"{k} +{v}" for k, v in added.items()))

    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--password", required=True)
    @click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
    @click.option("--full-name", default="")
    def create_user_command(username: str, password: str, role: str, full_name: str) -> None:
        """Create an account."""
        try:
            user = create_user(username, password, role, full_name=full_name)
        except AccountError as err:
            raise click.ClickException(str(err)) from err
        record_event("user.created", actor=None, target=user, details={"role": role, "via": "cli"})
        db.session.commit()
        click.echo(f"Created {role} {user.username}.")

    @app.cli.command("ensure-admin")
    def ensure_admin_command() -> None:
        """On an empty database, create 'admin' with a one-time password and print it once."""
        if db.session.scalar(select(func.count()).select_from(User)):
            return
        password = generate_password()
        user = create_user("admin", password, Role.ADMIN, must_change_password=True)
        record_event(
            "user.created", actor=None, target=user, details={"role": "admin", "via": "first-run"}
        )
        db.session.commit()
        click.echo(
            "\n  First run: created the account 'admin' with the one-time password\n"
            f"      {password}\n"
            "  It is shown only now. Log in and choose a new password.\n"
        )
