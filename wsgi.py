"""WSGI entry point: `gunicorn wsgi:app`."""
import gc

from lms import create_app

app = create_app()
# What the application built at start (modules, mappers, templates: some 160,000 objects)
# lives as long as the worker. Frozen, it is left out of Python's full collections, which
# otherwise walk all of it and stop both of a worker's threads for 150-500 ms on this
# project's machine, mid-request (docs/performance.md). Garbage goes first.
gc.collect()
gc.freeze()
