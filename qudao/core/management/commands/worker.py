"""`manage.py worker` (and `qudao worker`): the job worker, Huey's consumer (`run_huey`, with the
same options), which refuses to start without a secret key: jobs send password links and sign
like the web processes do (qudao.core.secret_key)."""

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

from qudao.core.secret_key import require_secret_key


class Command(RunHuey):
    help = "Run the background job worker (Huey consumer); refuses to start without a secret key."

    def handle(self, *args, **options):
        require_secret_key()
        return super().handle(*args, **options)
