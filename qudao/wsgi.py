import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qudao.settings")
application = get_wsgi_application()

# A web process never signs sessions without a key of the deployment's own (qudao.core.secret_key).
from qudao.core.secret_key import require_secret_key  # noqa: E402

require_secret_key()
