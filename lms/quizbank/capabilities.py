from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("quizbank:manage", ("admin", "methodologist", "trainer"), "write",
               "Author banks, items and blueprints; import and export GIFT and Moodle XML"),
    Capability("quizbank:run_tests", ("admin", "methodologist", "trainer"), "write",
               "Set up, publish and grade a cohort's tests"),
    Capability("quizbank:view_results", ("admin", "methodologist", "trainer", "curator"), "read",
               "See a cohort's results and item statistics"),
    Capability("quizbank:attempt", ("participant",), "write", "Take a cohort's tests"),
]
