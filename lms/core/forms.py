from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, widgets)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from lms.core.i18n import LANGUAGE_NAMES


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class LanguageForm(FlaskForm):
    language = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()


class NoticesForm(FlaskForm):
    email_notices = BooleanField(_l("E-mail me news of my courses"))
    #: the enabled plugins' kinds (choices set by the view, from mail.notice_kinds)
    kinds = SelectMultipleField(_l("Of these kinds"), choices=[], widget=widgets.ListWidget(prefix_label=False),
                                option_widget=widgets.CheckboxInput(), validate_choice=True)
    #: the page showed the kinds: a post without it (an older page) leaves them as they are
    kinds_shown = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(FlaskForm):
    """The rules themselves (length, not the e-mail) are the service's, so the CLI and the
    pages refuse the same passwords with the same words."""
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                             description=_l("At least 8 characters. A few words you will remember are a good"
                                            " password."))
    confirm = PasswordField(_l("The new password again"),
                            validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))])


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ConfirmForm(FlaskForm):
    """A POST button with nothing but the CSRF token."""


class ErasureForm(FlaskForm):
    """Erasing a person's data: the account's e-mail typed again, and why (their request)."""
    confirm_email = StringField(_l("Type the account's e-mail to confirm"), validators=[DataRequired()])
    reason = TextAreaField(_l("Why: the person's request, its date or reference"),
                           validators=[DataRequired(), Length(max=500)])


class ErasureRequestForm(FlaskForm):
    """A person's own request that their data be erased."""
    note = TextAreaField(_l("Anything the administrator should know (optional)"), validators=[Length(max=2000)])
    understood = BooleanField(_l("I understand that my account will stop working and that this cannot be undone"),
                              validators=[DataRequired(_l("Tick this to ask."))])


class RefuseErasureForm(FlaskForm):
    answer = TextAreaField(_l("Why not: the person reads this"), validators=[DataRequired(), Length(max=2000)])


class AccountForm(FlaskForm):
    """An account an administrator opens (staff, mostly: participants come with a cohort's
    list); its holder chooses the password by the link it is sent."""
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    role = SelectField(_l("Role in the whole system"), default="",
                       description=_l("Leave empty for someone who works in particular cohorts only: their cohort's"
                                      " participants page gives them a role there."))
    send_link = BooleanField(_l("Send a link to choose the password now"), default=True)


class UserEditForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    roles = SelectMultipleField(_l("Roles in the whole system"), widget=widgets.ListWidget(prefix_label=False),
                                option_widget=widgets.CheckboxInput(), validate_choice=False)


class PolicyForm(FlaskForm):
    """A new version of a policy (choices of `kind` set by the view)."""
    kind = SelectField(_l("Policy"))
    title_kk = StringField(_l("Title in Kazakh"), validators=[DataRequired(), Length(max=200)])
    title_ru = StringField(_l("Title in Russian"), validators=[DataRequired(), Length(max=200)])
    text_kk = TextAreaField(_l("Text in Kazakh"), validators=[DataRequired(), Length(max=50_000)],
                            description=_l("Markdown: **bold**, lists with -, links."), render_kw={"rows": 12})
    text_ru = TextAreaField(_l("Text in Russian"), validators=[DataRequired(), Length(max=50_000)],
                            render_kw={"rows": 12})


class AcceptPoliciesForm(FlaskForm):
    #: the versions shown (choices set by the view); each must be ticked
    accepted = SelectMultipleField(_l("I have read and accept"), widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput(), validate_choice=False, coerce=int)
    next = HiddenField()


class SchoolForm(FlaskForm):
    """One school of the register; the service checks the values (as it checks a file's rows)."""

    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=300)])
    name_ru = StringField(_l("Name in Russian"), validators=[Length(max=300)])
    district = SelectField(_l("District"), coerce=int, validate_choice=False)
    school_type = SelectField(_l("Type"), choices=[
        SelectChoice("small_ungraded", _l("small ungraded school")), SelectChoice("hub", _l("hub school")),
        SelectChoice("magnet", _l("magnet school")), SelectChoice("other", _l("other"))])
    instruction_language = SelectField(_l("Language of instruction"), choices=[
        SelectChoice("kk", _l("Kazakh")), SelectChoice("ru", _l("Russian")),
        SelectChoice("mixed", _l("Kazakh and Russian"))])
    internet_mbps = StringField(_l("Internet, Mbit/s"), validators=[Length(max=20)],
                                description=_l("The measured download speed; empty if not known."))


class SchoolImportForm(FlaskForm):
    file = FileField(_l("School register (CSV)"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv"], _l("Only .csv files are accepted; in Excel use \"Save as\" → \"CSV UTF-8\".")),
        FileSize(2 * 1024 * 1024, message=_l("The file is larger than 2 MB.")),
    ])
