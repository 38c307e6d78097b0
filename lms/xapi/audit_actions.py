"""The xapi plugin records no act of its own; the log may still name its statements."""
from flask_babel import lazy_gettext as _l

ACTIONS: dict = {}

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "XapiStatement": _l("xAPI statement"),
}
