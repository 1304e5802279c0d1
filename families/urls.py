from django.urls import path

from . import views

app_name = "families"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("join/", views.join, name="join"),
    # The household's motto (members), the door card (members and organizers), the public wall and buildings.
    path("households/<int:pk>/motto/", views.household_motto, name="household_motto"),
    path("households/<int:pk>/motto/card/", views.motto_card, name="motto_card"),
    path("mottos/", views.motto_wall, name="motto_wall"),
    # A community's public pages (the street's are at the root): its home page and its motto wall.
    path("c/<slug:slug>/", views.community_home, name="community_home"),
    path("c/<slug:slug>/mottos/", views.motto_wall, name="motto_wall"),
    path("buildings/", views.building_list, name="building_list"),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
    # Organizer area.
    path("organize/register/", views.register, name="organize_register"),
    path("organize/register/households/new/", views.household_new, name="organize_household_new"),
    path("organize/register/households/<int:pk>/", views.household_detail, name="organize_household"),
    path("organize/register/residents/<int:pk>/", views.resident_edit, name="organize_resident"),
    path("organize/register/residents/<int:pk>/action/", views.resident_action, name="organize_resident_action"),
    path("organize/register/waiting/", views.members_waiting, name="organize_members_waiting"),
    path("organize/register/communities/", views.community_list, name="organize_communities"),
    path("organize/register/communities/new/", views.community_edit, name="organize_community_new"),
    path("organize/register/communities/<int:pk>/", views.community_edit, name="organize_community"),
    path("organize/register/grids/", views.grid_list, name="organize_grids"),
    path("organize/register/grids/new/", views.grid_edit, name="organize_grid_new"),
    path("organize/register/grids/<int:pk>/", views.grid_edit, name="organize_grid"),
    path("organize/register/buildings/", views.building_admin_list, name="organize_buildings"),
    path("organize/register/buildings/new/", views.building_edit, name="organize_building_new"),
    path("organize/register/buildings/<int:pk>/", views.building_edit, name="organize_building"),
    path("organize/register/buildings/<int:pk>/slips/", views.join_slips, name="organize_join_slips"),
    path(
        "organize/register/buildings/<int:pk>/slips/reissue/",
        views.reissue_join_codes,
        name="organize_reissue_join_codes",
    ),
    path("organize/register/export.<str:fmt>", views.export_register, name="organize_export"),
    path("organize/register/import/", views.import_upload, name="organize_import"),
    path("organize/register/import/<int:pk>/", views.import_preview, name="organize_import_preview"),
    path("organize/register/import/<int:pk>/status/", views.import_status, name="organize_import_status"),
    path("organize/mottos/", views.motto_queue, name="organize_mottos"),
    path("organize/mottos/<int:pk>/review/", views.motto_review, name="organize_motto_review"),
]
