"""Saved list views: named list queries of a user, private or shared with the tenant."""

from trellis.platform.views.store import (
    MAX_NAME_LENGTH,
    MAX_QUERY_LENGTH,
    SavedView,
    delete_view,
    list_views,
    save_view,
    set_view_columns,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_QUERY_LENGTH",
    "SavedView",
    "delete_view",
    "list_views",
    "save_view",
    "set_view_columns",
]
