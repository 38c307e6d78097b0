"""The community plugin's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "discussion_started": _l("Discussion started"),
    "discussion_replied": _l("Discussion answered"),
    "discussion_post_edited": _l("Discussion post changed"),
    "discussion_post_hidden": _l("Discussion post hidden"),
    "discussion_post_shown": _l("Discussion post shown again"),
    "discussion_pinned": _l("Discussion pinned"),
    "discussion_unpinned": _l("Discussion unpinned"),
    "discussion_locked": _l("Discussion closed to replies"),
    "discussion_unlocked": _l("Discussion opened to replies"),
}

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "Thread": _l("Discussion"),
    "Post": _l("Discussion post"),
    "Subscription": _l("Discussion followed"),
    "ReadMark": _l("Discussion read"),
    "MailMode": _l("Discussion e-mails"),
}
