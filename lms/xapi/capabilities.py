from lms.core.capabilities import Capability

CAPABILITIES = [
    Capability("xapi:manage", ("admin",), "write",
               "See what waits for the Learning Record Store and send it now"),
]
