"""Record activity: comments with @mentions and the timeline of a record.

Comments live in the tenant's ``_comments`` table; the timeline merges them with the
change rows of the save pipeline and the e-mail delivery log, newest first.
"""

from __future__ import annotations

from trellis.platform.activity.comments import MAX_BODY, Comment, CommentError, clean_body
from trellis.platform.activity.mentions import Member, Mentions, resolve_mentions, tenant_members
from trellis.platform.activity.service import PostedComment, post_comment
from trellis.platform.activity.timeline import Entry, Page, Position, TimelineError, merge

__all__ = [
    "MAX_BODY",
    "Comment",
    "CommentError",
    "Entry",
    "Member",
    "Mentions",
    "Page",
    "Position",
    "PostedComment",
    "TimelineError",
    "clean_body",
    "merge",
    "post_comment",
    "resolve_mentions",
    "tenant_members",
]
