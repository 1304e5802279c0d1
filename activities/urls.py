from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="list"),
    path("activities/mine/", views.my_signups, name="mine"),
    path("activities/mine/calendar.ics", views.my_calendar, name="calendar"),
    path("activities/<int:pk>/", views.activity_detail, name="detail"),
    path("activities/<int:pk>/sign-up/", views.activity_sign_up, name="sign_up"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("activities/<int:pk>/attend/", views.attend, name="attend"),
    path("activities/signups/<int:pk>/correction/", views.request_correction, name="correction"),
    path("points/", views.leaderboard, name="leaderboard"),
    # A community's public pages: what its residents may join, and its own boards (the public helper's /c/<slug>/).
    path("c/<slug:community>/activities/", views.activity_list, name="community_list"),
    path("c/<slug:community>/points/", views.leaderboard, name="community_leaderboard"),
    path("points/me/", views.my_points, name="my_points"),
    path("points/record/", views.my_service_record, name="my_record"),
    path("points/record/issue/", views.my_service_record_issue, name="my_record_issue"),
    path("points/records/<str:number>.pdf", views.service_record_pdf, name="record_pdf"),
    # Public: what an issued record says (the certificates' /verify/<number>/ never holds a slash).
    path("verify/record/<str:number>/", views.verify_service_record, name="verify_record"),
    path("volunteers/<int:pk>/", views.volunteer_page, name="volunteer"),
    path("store/", views.store, name="store"),
    path("store/<int:pk>/", views.store_item, name="store_item"),
    path("store/<int:pk>/redeem/", views.store_redeem, name="redeem"),
    path("store/mine/", views.my_redemptions, name="my_redemptions"),
    path("store/mine/<int:pk>/cancel/", views.my_redemption_cancel, name="my_redemption_cancel"),
    # Organizer area
    path("organize/activities/", views.organize_activities, name="organize_activities"),
    path("organize/activities/new/", views.organize_activity_form, name="organize_new"),
    path("organize/activities/types/", views.organize_types, name="organize_types"),
    path("organize/activities/exports/", views.organize_exports, name="organize_exports"),
    path(
        "organize/activities/exports/<slug:kind>.<slug:fmt>",
        views.organize_export_download,
        name="organize_export_download",
    ),
    path("organize/activities/corrections/", views.organize_corrections, name="organize_corrections"),
    path(
        "organize/activities/corrections/<int:pk>/",
        views.organize_decide_correction,
        name="organize_decide_correction",
    ),
    path("organize/activities/<int:pk>/", views.organize_sheet, name="organize_sheet"),
    path("organize/activities/<int:pk>/edit/", views.organize_activity_form, name="organize_edit"),
    path("organize/activities/<int:pk>/qr/", views.organize_qr, name="organize_qr"),
    path("organize/activities/<int:pk>/new-code/", views.organize_new_code, name="organize_new_code"),
    path("organize/activities/<int:pk>/call-off/", views.organize_call_off, name="organize_call_off"),
    path("organize/activities/<int:pk>/confirm-all/", views.organize_confirm_all, name="organize_confirm_all"),
    path("organize/activities/<int:pk>/walk-in/", views.organize_walk_in, name="organize_walk_in"),
    path("organize/signups/<int:pk>/attendance/", views.organize_attendance, name="organize_attendance"),
    path("organize/signups/<int:pk>/hours/", views.organize_manual_hours, name="organize_manual_hours"),
    path("organize/signups/<int:pk>/confirm/", views.organize_confirm, name="organize_confirm"),
    path("organize/signups/<int:pk>/cancel/", views.organize_cancel_signup, name="organize_cancel_signup"),
    path("organize/volunteers/", views.organize_volunteers, name="organize_volunteers"),
    path("organize/volunteers/<int:pk>/", views.organize_volunteer, name="organize_volunteer"),
    path("organize/volunteers/<int:pk>/record/", views.organizer_service_record, name="organize_record"),
    path(
        "organize/volunteers/<int:pk>/record/issue/",
        views.organizer_service_record_issue,
        name="organize_record_issue",
    ),
    path("organize/store/", views.organize_store, name="organize_store"),
    path("organize/store/items/new/", views.organize_store_item, name="organize_store_new"),
    path("organize/store/items/<int:pk>/", views.organize_store_item, name="organize_store_edit"),
    path("organize/store/redemptions/<int:pk>/hand-over/", views.organize_hand_over, name="organize_hand_over"),
    path(
        "organize/store/redemptions/<int:pk>/cancel/",
        views.organize_cancel_redemption,
        name="organize_cancel_redemption",
    ),
]
