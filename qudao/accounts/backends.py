from django.contrib.auth.backends import ModelBackend

from . import services


class LoginIdentifierBackend(ModelBackend):
    """Log in with a username, e-mail or mobile number. Lock-out is enforced by the login view
    (services.authenticate_identifier); this backend serves `authenticate()` and sessions."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = services.find_user_by_identifier(username or "")
        if user and user.check_password(password or "") and self.user_can_authenticate(user):
            return user
        return None
