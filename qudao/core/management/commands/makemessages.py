"""`manage.py makemessages` that also extracts strings marked with ``N_`` (our alias of
``gettext_noop``: messages stored untranslated and translated when shown, e.g. job progress).
Regenerate every catalogue with ``scripts/messages.sh``."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
