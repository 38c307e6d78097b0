"""Moodle-style capabilities: a role grants a capability in a context.

Each plugin declares its own capabilities, with default grants per role, in its
`capabilities.py`; the core declares the ones below.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

#: context levels, outermost first; a grant in an outer context holds in the inner ones
CONTEXT_LEVELS = ("system", "programme", "cohort")

#: "user" is held implicitly by every signed-in account, in the system context
ROLES = ("user", "admin", "methodologist", "trainer", "assessor", "curator", "participant")

#: roles that can be assigned (the implicit "user" cannot)
ASSIGNABLE_ROLES = ROLES[1:]
#: roles an administrator gives in the whole system (a participant is one of a cohort only)
SYSTEM_ROLES = tuple(r for r in ASSIGNABLE_ROLES if r != "participant")

#: the roles' names on the pages
ROLE_NAMES = {"user": _l("user"), "admin": _l("administrator"), "methodologist": _l("methodologist"),
              "trainer": _l("trainer"), "assessor": _l("assessor"), "curator": _l("curator"),
              "participant": _l("participant")}


@dataclass(frozen=True)
class Capability:
    name: str  # "plugin:verb"
    #: roles that hold it by default
    roles: tuple[str, ...] = field(default_factory=tuple)
    #: "read" or "write", as in Moodle's access.php (shown on the roles page)
    kind: str = "read"
    description: str = ""

    def __post_init__(self):
        if ":" not in self.name:
            raise ValueError(f"capability {self.name!r} must be named 'plugin:verb'")
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"capability {self.name!r} grants unknown roles {sorted(unknown)}")


CORE_CAPABILITIES = [
    Capability("core:manage_users", ("admin", "methodologist"), "write",
               "Create users, correct their accounts and give system roles (DESIGN §1: the centre's staff)"),
    Capability("core:manage_admins", ("admin",), "write",
               "Give or take the administrator role and change administrators' accounts"),
    Capability("core:view_audit_log", ("admin", "methodologist"), "read", "Read the audit log"),
    Capability("core:manage_backups", ("admin",), "write", "Make, check and download the site's backups"),
    Capability("core:manage_schools", ("admin", "methodologist"), "write",
               "Manage regions, districts and schools"),
    Capability("core:view_profile", ("user",), "read", "See and change one's own profile"),
    Capability("core:manage_policies", ("admin",), "write",
               "Publish the personal data notice and the staff's confidentiality obligation, and see who"
               " accepted them"),
    Capability("core:export_personal_data", ("admin",), "read",
               "Export everything the site holds about a person, to answer their request under the law on"
               " personal data (seed 002; Moodle's data privacy officer)"),
    Capability("core:erase_personal_data", ("admin",), "write",
               "Erase a person's personal data on their request: the account stays as a pseudonym under"
               " the marks and certificates the centre keeps (seed 002; Moodle's data deletion request)"),
]
