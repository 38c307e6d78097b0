from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("postcourse:view_cohort", ("admin", "methodologist", "trainer", "curator"), "read",
               "See the support plans, dashboard and reports of a cohort's graduates"),
    Capability("postcourse:support", ("admin", "methodologist", "trainer", "curator"), "write",
               "Agree and adjust plans, log consultations, observations, events and evidence"),
    Capability("postcourse:follow_plan", ("participant",), "write",
               "See and accept one's own support plan, add one's own evidence"),
]
