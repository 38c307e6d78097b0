"""Extensions created unbound and bound by create_app (Flask's factory pattern)."""
from flask_babel import Babel
from flask_compress import Compress
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from markupsafe import escape

# Flask-Babel's lazy strings tell Jinja they are markup (`__html__` returns the text as it is),
# so a message carrying a value from a file or a form ("unknown school '<b>…'") would reach the
# page unescaped, and one naming an XML element ("<quiz>") would vanish as a tag. A translated
# message is text: it is escaped like any other.
LazyString.__html__ = lambda self: escape(str(self))

babel = Babel()
#: pages and JSON go compressed to a browser that asks (gzip, Brotli, zstd): a schedule or a
#: programme page is 30-40 KB of HTML and 5-7 KB compressed, on a rural line a second saved
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
