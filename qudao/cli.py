"""The `qudao` command line (installed with the package: `pip install -e .`).

    qudao serve [--host H] [--port P]   migrate, seed an empty database, start the job worker, serve
    qudao migrate                        create or update the database tables
    qudao seed [--partners N] [--seed S] [--force]
    qudao createadmin [--username U --password P --email E]
    qudao worker                         run the job worker (Huey consumer) in the foreground
    qudao check [--deploy]               Django's system checks
    qudao manage <command> [args]        any manage.py command

Every subcommand is a Django management command, so `python manage.py <command>` does the same.
Settings come from QUDAO_* environment variables (docs/configuration.md).
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    # qudao subcommand -> (management command, one-line help)
    "serve": ("serve", "Migrate, seed an empty database, start the job worker and serve on 127.0.0.1:8000."),
    "migrate": ("migrate", "Create or update the database tables."),
    "seed": ("seed", "Build deterministic demo data (--partners N, --seed S, --force)."),
    "createadmin": ("createadmin", "Create an HQ administrator."),
    "worker": ("worker", "Run the background job worker (Huey consumer)."),
    "check": ("check", "Run Django's system checks (--deploy for production settings)."),
    "manage": (None, "Run any manage.py command: qudao manage <command> [args]."),
}


def usage() -> str:
    lines = ["usage: qudao <command> [options]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    lines += [f"  {name.ljust(width)}  {text}" for name, (_command, text) in COMMANDS.items()]
    lines += ["", "`qudao <command> --help` describes a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"qudao {version('qudao')}")
        except PackageNotFoundError:
            print("qudao (not installed)")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"qudao: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    command = COMMANDS[name][0]
    if command is None:
        if not rest:
            print("usage: qudao manage <command> [args]", file=sys.stderr)
            return 2
        command, rest = rest[0], rest[1:]

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qudao.settings")
    if command == "help" or any(arg in ("-h", "--help") for arg in rest):
        return _run_utility(["qudao", command, *rest])
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError, call_command

    django.setup()
    try:
        # call_command rather than a fresh ManagementUtility: the same behaviour, but the
        # database connections stay open, so main() can also be called in-process (tests).
        call_command(command, *rest)
    except CommandError as error:
        print(f"CommandError: {error}", file=sys.stderr)
        return getattr(error, "returncode", 1)
    except ImproperlyConfigured as error:  # e.g. the worker without a secret key: say what to set
        print(f"qudao: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _run_utility(argv: list[str]) -> int:
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
