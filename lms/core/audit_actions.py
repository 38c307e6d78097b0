"""The core's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "account_disabled": _l("Account disabled"),
    "account_enabled": _l("Account enabled"),
    "erasure_request_refused": _l("Request to erase data refused"),
    "erasure_request_withdrawn": _l("Request to erase data withdrawn"),
    "erasure_requested": _l("Erasure of personal data requested"),
    "password_invitations_queued": _l("Sign-in links queued"),
    "password_link_sent": _l("Password link sent"),
    "password_set": _l("Password set"),
    "personal_data_erased": _l("Personal data erased"),
    "personal_data_exported": _l("Personal data exported"),
    "policy_published": _l("Policy published"),
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

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "User": _l("Account"),
    "Region": _l("Region"),
    "District": _l("District"),
    "School": _l("School"),
    "RoleAssignment": _l("Role"),
    "ApiToken": _l("API token"),
    "StoredFile": _l("File"),
    "AuditEntry": _l("Audit log entry"),
    "OutboxMessage": _l("E-mail message"),
    "Site": _l("Site"),
    "Policy": _l("Policy"),
    "PolicyAcceptance": _l("Acceptance of a policy"),
    "ErasureRequest": _l("Request to erase personal data"),
}
