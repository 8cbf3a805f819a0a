from django.conf import settings


def navigation(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        "unread_notifications": unread,
        "current_user": user,
    }
