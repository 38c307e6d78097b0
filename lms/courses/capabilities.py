from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("courses:manage_programmes", ("admin", "methodologist", "trainer"), "write",
               "Author programmes, modules, topics and materials"),
    Capability("courses:approve_programmes", ("admin", "methodologist"), "write",
               "Approve or archive a programme version"),
    Capability("courses:view_drafts", ("admin", "methodologist", "trainer"), "read",
               "See draft and archived programme versions"),
    Capability("courses:manage_cohorts", ("admin", "methodologist"), "write",
               "Create cohorts, enrol and withdraw participants, import participant lists"),
    Capability("courses:view_cohort", ("admin", "methodologist", "trainer", "curator"), "read",
               "See a cohort's dashboard, attendance, ledger and personal data of its participants"),
    Capability("courses:view_reports", ("admin", "methodologist"), "read",
               "Read and export the report on courses held (every cohort, counts only)"),
    Capability("courses:teach", ("admin", "methodologist", "trainer"), "write",
               "Run a cohort: schedule sessions, mark attendance, review self-study"),
    Capability("courses:read_announcements",
               ("admin", "methodologist", "trainer", "curator", "assessor", "participant"), "read",
               "Read a cohort's announcements (trainers post them with courses:teach)"),
    Capability("courses:participate", ("participant",), "write",
               "Study in a cohort: see one's own ledger, choose topics, hand in self-study"),
]
