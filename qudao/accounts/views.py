"""Log-in, log-out, password set-up, the user's own account (language, API tokens)."""

from django.http import HttpResponse


def home(request):
    return HttpResponse("Qudao")


def login_view(request):
    return HttpResponse("login")


def logout_view(request):
    return HttpResponse("logout")


def set_password_view(request, uidb64, token):
    return HttpResponse("set password")


def account_view(request):
    return HttpResponse("account")


def tokens_view(request):
    return HttpResponse("tokens")


def token_revoke_view(request, token_id):
    return HttpResponse("revoke")


def language_view(request):
    return HttpResponse("language")
