from django.conf import settings
from django.utils.functional import SimpleLazyObject

from qudao.core.branding import brand


def navigation(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        # the brand's name, short name, logo and colour (read only by a page that shows them)
        "BRAND": SimpleLazyObject(brand),
        "unread_notifications": unread,
        "current_user": user,
    }
