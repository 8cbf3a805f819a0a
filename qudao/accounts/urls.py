from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("set-password/<uidb64>/<token>/", views.set_password_view, name="set_password"),
    path("account/", views.account_view, name="account"),
    path("account/tokens/", views.tokens_view, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("account/language/", views.language_view, name="language"),
    path("settings/users/", views.users_view, name="users"),
    path("settings/users/new/", views.user_create_view, name="user_create"),
    path("settings/users/<int:user_id>/", views.user_edit_view, name="user_edit"),
    path("settings/users/<int:user_id>/active/", views.user_active_view, name="user_active"),
]
