"""What the xapi plugin holds of a person: the statements queued or sent about their account
(they name the account's number, never the person)."""
from __future__ import annotations

from sqlalchemy import delete, select

from lms.core.models import User
from lms.core.services.privacy import PersonalData
from lms.db import db
from lms.xapi.models import XapiStatement


def export(user: User) -> PersonalData:
    data = PersonalData()
    data.records["statements"] = [
        {"verb": s.verb, "activity": s.body["object"]["id"], "result": s.body.get("result"),
         "happened_at": s.body.get("timestamp"), "queued_at": s.created_at, "sent_to_the_lrs_at": s.sent_at}
        for s in db.session.scalars(select(XapiStatement).where(XapiStatement.user_id == user.id)
                                    .order_by(XapiStatement.id))]
    return data


def erase(erasure) -> None:
    """The statements go from here, sent or not. Those the LRS took name only the account's
    number, which the erased account keeps as its pseudonym."""
    erasure.count("xapi.statements", db.session.execute(
        delete(XapiStatement).where(XapiStatement.user_id == erasure.user.id)).rowcount)
