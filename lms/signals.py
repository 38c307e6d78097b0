"""Events plugins send and listen to. Names are past tense; each docstring names
the sender and the keyword payload."""
from blinker import Namespace

_signals = Namespace()

user_logged_in = _signals.signal("user_logged_in", doc="Sender: the User. Payload: none.")
programme_created = _signals.signal(
    "programme_created", doc="Sender: the Programme. Payload: actor (User or None)."
)
programme_approved = _signals.signal(
    "programme_approved", doc="Sender: the Programme. Payload: actor (User)."
)
programme_versioned = _signals.signal(
    "programme_versioned",
    doc="Sender: the new draft Programme. Payload: previous (Programme), actor (User).",
)
content_loaded = _signals.signal(
    "content_loaded", doc="Sender: None. Payload: codes (list of programme codes loaded)."
)
demo_requested = _signals.signal(
    "demo_requested", doc="Sender: None. Payload: summary (list of lines `lms demo` prints; append to it)."
)
