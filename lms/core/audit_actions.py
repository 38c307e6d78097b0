"""The core's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "account_disabled": _l("Account disabled"),
    "account_enabled": _l("Account enabled"),
    "password_invitations_queued": _l("Sign-in links queued"),
    "password_link_sent": _l("Password link sent"),
    "password_set": _l("Password set"),
    "role_assigned": _l("Role given"),
    "role_removed": _l("Role taken away"),
    "school_updated": _l("School changed"),
    "schools_imported": _l("School register imported"),
    "site_backed_up": _l("Site backed up"),
    "site_backup_downloaded": _l("Backup downloaded"),
    "site_restored": _l("Site restored from a backup"),
    "token_created": _l("API token created"),
    "token_revoked": _l("API token revoked"),
    "user_created": _l("Account created"),
    "user_updated": _l("Account changed"),
}
