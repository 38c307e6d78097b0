"""Where discussions live: a cohort's (its people, during the course and the support year), or a
programme's network: everyone who takes or took the programme in any cohort and year, and the
staff of those cohorts (seed 000 §4: "Өрлеу LMS желілік қоғамдастығы", the virtual professional
community on the LMS platform; Moodle would need a site-level forum and a cohort sync for it).

A `Place` answers, for one of them, who reads, writes and moderates there, which threads are its
own, and its pages' addresses; the services and views ask it instead of the cohort.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.community.models import Thread
from lms.core.models import User
from lms.core.permissions import Context, contexts_with, has_capability, registry, remember_parent
from lms.core.services.errors import NotFound
from lms.courses.models import Cohort, Enrolment, Programme
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import programmes
from lms.db import db

#: the network's clock for its dates (the centre's; a cohort shows its own)
NETWORK_TIMEZONE = "Asia/Almaty"


@dataclass(frozen=True)
class Access:
    reads: bool = False
    posts: bool = False
    moderates: bool = False


@dataclass(eq=False)
class Place:
    cohort: Cohort | None = None
    programme_code: str | None = None
    _programme: Programme | None = field(default=None, repr=False)

    @property
    def is_network(self) -> bool:
        return self.cohort is None

    @property
    def code(self) -> str:
        return self.cohort.code if self.cohort is not None else self.programme_code

    @property
    def programme(self) -> Programme:
        """The cohort's programme, or the network's newest approved version (its title)."""
        if self.cohort is not None:
            return self.cohort.programme
        if self._programme is None:
            self._programme = programmes.newest(self.programme_code)
        return self._programme

    @property
    def timezone(self) -> str:
        return self.cohort.timezone if self.cohort is not None else NETWORK_TIMEZONE

    @property
    def read_only(self) -> bool:
        return self.cohort is not None and self.cohort.status == "cancelled"

    def owns(self, thread: Thread) -> bool:
        if self.cohort is not None:
            return thread.cohort_id == self.cohort.id
        return thread.programme_code == self.programme_code

    def threads_where(self):
        """The condition on Thread of this place's threads."""
        if self.cohort is not None:
            return Thread.cohort_id == self.cohort.id
        return Thread.programme_code == self.programme_code

    def new_thread(self, **fields) -> Thread:
        if self.cohort is not None:
            return Thread(cohort_id=self.cohort.id, **fields)
        return Thread(programme_code=self.programme_code, **fields)

    def endpoint(self, name: str) -> str:
        return f"community.{'network_' if self.is_network else ''}{name}"

    def url(self, name: str, **values) -> str:
        """A page of this place: `name` is the cohort's endpoint (threads, thread, reply ...)."""
        return url_for(self.endpoint(name), code=self.code, **values)

    def path(self, thread_id: int) -> str:
        """A thread's address for an e-mail (no request there to build it from)."""
        where = "network" if self.is_network else "cohorts"
        return f"/{where}/{self.code}/discussions/{thread_id}"

    def checker(self) -> Callable[[User], Access]:
        """Who reads, writes and moderates here, for many users at once (their role assignments
        loaded): what it needs is read once."""
        return _cohort_checker(self.cohort) if self.cohort is not None else _network_checker(self.programme_code)

    def access(self, user) -> Access:
        if user is None or not getattr(user, "is_authenticated", False):
            return Access()
        return self.checker()(user)


def cohort_place(cohort: Cohort) -> Place:
    return Place(cohort=cohort)


def network_place(code: str) -> Place:
    """The network of programme `code`; a code no programme has is not found."""
    place = Place(programme_code=code)
    if place.programme is None:
        raise NotFound(_l("no programme %(code)s", code=code))
    return place


def as_place(where: Place | Cohort) -> Place:
    return where if isinstance(where, Place) else cohort_place(where)


def place_of(thread: Thread) -> Place:
    if thread.cohort_id is not None:
        return cohort_place(db.session.get(Cohort, thread.cohort_id))
    return Place(programme_code=thread.programme_code)


def _cohort_checker(cohort: Cohort) -> Callable[[User], Access]:
    """A cohort's people by their roles there or around it; a withdrawn participant no longer
    takes part (its staff do, whatever their enrolment)."""
    ctx = cohort_service.cohort_context(cohort)
    remember_parent(ctx, Context("programme", cohort.programme_id))
    withdrawn = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.status == "withdrawn")))

    def check(user: User) -> Access:
        moderates = has_capability(user, "community:moderate", ctx)
        if not has_capability(user, "community:read", ctx) or (user.id in withdrawn and not moderates):
            return Access()
        return Access(True, has_capability(user, "community:post", ctx), moderates)

    return check


def _network_checker(code: str) -> Callable[[User], Access]:
    """A programme's network: roles in the whole system, in any version of the programme or in
    any of its cohorts count; a participant's only while one of their enrolments in those cohorts
    is not withdrawn."""
    programme_ids = set(db.session.scalars(select(Programme.id).where(Programme.code == code)))
    cohort_ids = set(db.session.scalars(select(Cohort.id).where(Cohort.programme_id.in_(programme_ids)))) \
        if programme_ids else set()
    withdrawn = {(user_id, cohort_id) for user_id, cohort_id in db.session.execute(
        select(Enrolment.user_id, Enrolment.cohort_id).where(Enrolment.cohort_id.in_(cohort_ids),
                                                             Enrolment.status == "withdrawn"))} if cohort_ids else set()
    grants = registry().grants

    def counts(level: str, context_id) -> bool:
        return (level == "system" or (level == "programme" and context_id in programme_ids)
                or (level == "cohort" and context_id in cohort_ids))

    def check(user: User) -> Access:
        reads = posts = moderates = False
        for ra in user.role_assignments:
            if not counts(ra.context_level, ra.context_id):
                continue
            if ra.role == "participant" and (user.id, ra.context_id) in withdrawn:
                continue
            caps = grants.get(ra.role, ())
            reads = reads or "community:read" in caps
            posts = posts or "community:post" in caps
            moderates = moderates or "community:moderate" in caps
        return Access(reads or moderates, posts and (reads or moderates), moderates)

    return check


def networks_of(user) -> list[str]:
    """The codes of the programmes whose networks `user` reads, by code."""
    where = contexts_with(user, "community:read")
    if "system" in where:
        return list(db.session.scalars(select(Programme.code).distinct().order_by(Programme.code)))
    codes = set()
    programme_ids, cohort_ids = where.get("programme", set()), where.get("cohort", set())
    if programme_ids:
        codes |= set(db.session.scalars(select(Programme.code).where(Programme.id.in_(programme_ids))))
    if cohort_ids:
        codes |= set(db.session.scalars(select(Programme.code).join(Cohort, Cohort.programme_id == Programme.id)
                                        .where(Cohort.id.in_(cohort_ids))))
    return sorted(code for code in codes if Place(programme_code=code).access(user).reads)
