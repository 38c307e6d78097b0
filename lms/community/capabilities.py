from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("community:read", ("admin", "methodologist", "trainer", "curator", "assessor", "participant"), "read",
               "Read a cohort's discussions and its programme's network"),
    Capability("community:post", ("admin", "methodologist", "trainer", "curator", "participant"), "write",
               "Open discussions in a cohort or its programme's network and answer in them"),
    Capability("community:moderate", ("admin", "methodologist", "trainer", "curator"), "write",
               "Pin and lock a cohort's (and its programme network's) discussions, hide and show posts,"
               " correct any post"),
]
