"""The participant-list upload form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize

from lms.courses.services.user_import import MAX_IMPORT_BYTES


class ParticipantImportForm(FlaskForm):
    file = FileField(_l("Participant list (CSV)"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv"], _l("Only .csv files are accepted; in Excel use \"Save as\" → \"CSV UTF-8\".")),
        FileSize(MAX_IMPORT_BYTES, message=_l("The file is larger than 2 MB.")),
    ])
