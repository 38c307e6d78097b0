from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("portfolio:keep", ("participant",), "write",
               "Keep one's own portfolio, hand in project work, see one's defense grade and certificate"),
    Capability("portfolio:view", ("admin", "methodologist", "trainer", "curator"), "read",
               "See the portfolios, project work and gradebook of a cohort"),
    Capability("portfolio:manage_defenses", ("admin", "methodologist", "trainer"), "write",
               "Set up project work, defense sessions, panels and rubrics; mark gradebook components"),
    Capability("portfolio:assess", ("assessor", "trainer"), "write",
               "Score defenses on the panels one sits on"),
    Capability("portfolio:issue_certificates", ("admin", "methodologist"), "write",
               "Issue and revoke certificates"),
]
