from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("courses:manage_programmes", ("admin", "methodologist", "trainer"), "write",
               "Author programmes, modules, topics and materials"),
    Capability("courses:approve_programmes", ("admin", "methodologist"), "write",
               "Approve or archive a programme version"),
    Capability("courses:view_drafts", ("admin", "methodologist", "trainer"), "read",
               "See draft and archived programme versions"),
]
