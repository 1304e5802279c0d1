from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

# The admin login goes through allauth's login, so its rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "社区荣誉与志愿积分 · Community Honours"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("prefs/", views.set_preferences, name="set_preferences"),
    path("accounts/", include("allauth.urls")),
    path("organize/", views.organize, name="organize"),
    path("organize/audit/", views.audit_log, name="organize_audit"),
    path("organize/outbox/", views.outbox, name="organize_outbox"),
    path("organize/outbox/<int:pk>/resend/", views.outbox_resend, name="organize_outbox_resend"),
    path("organize/exports/", views.exports_page, name="organize_exports"),
    path("organize/exports/status/", views.exports_status, name="organize_exports_status"),
    path("organize/exports/start/", views.export_start, name="organize_export_start"),
    path("organize/reports/", views.reports_page, name="organize_reports"),
    path("organize/exports/<int:pk>/download/", views.export_download, name="organize_export_file"),
    path("notices/", views.notices, name="notices"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/delete/", views.delete_my_account, name="delete_account"),
    path("admin/", admin.site.urls),
    path("", include("families.urls")),
    path("", include("awards.urls")),
    path("", include("awards.board_urls")),
    path("", include("activities.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "project.views.bad_request"
handler403 = "project.views.permission_denied"
handler404 = "project.views.page_not_found"
handler429 = "project.views.too_many_requests"  # read by allauth's rate limits
handler500 = "project.views.server_error"
