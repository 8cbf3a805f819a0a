"""`manage.py createadmin`: create an HQ administrator (interactive, or --username/--password/--email)."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from qudao.accounts.roles import HQRole
from qudao.core.errors import FieldErrors


class Command(BaseCommand):
    help = "Create an HQ administrator (the admin role: every partner, settings and users)."

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Log-in name.")
        parser.add_argument("--password", help="Password (asked for when omitted; prefer the prompt).")
        parser.add_argument("--email", default=None, help="E-mail address (optional).")
        parser.add_argument("--mobile", default="", help="Mainland China mobile number (optional).")
        parser.add_argument("--display-name", default="", help="Name shown in the app.")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Never prompt; fail when something is missing.",
        )

    def handle(self, *args, username, password, email, mobile, display_name, interactive, **options):
        from qudao.accounts.services import create_user

        if not username:
            username = self._ask("Username: ", interactive, "--username")
        if email is None:
            email = input("E-mail (optional): ").strip() if interactive else ""
        if not password:
            if not interactive:
                raise CommandError("Give --password (or run without --no-input to be asked).")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match; nothing was created.")
        try:
            user = create_user(
                username=username,
                password=password,
                email=email,
                mobile=mobile,
                display_name=display_name or username,
                roles=[HQRole.ADMIN],
            )
        except FieldErrors as error:
            lines = [f"{field}: {message}" for field, messages in error.errors.items() for message in messages]
            raise CommandError("Nothing was created.\n" + "\n".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"Created the administrator {user.username}."))

    def _ask(self, prompt: str, interactive: bool, option: str) -> str:
        if not interactive:
            raise CommandError(f"Give {option}.")
        value = input(prompt).strip()
        if not value:
            raise CommandError(f"{prompt.rstrip(': ')} is required; nothing was created.")
        return value
