"""Certificates: who may have one (the programme's rules in content/certification), issuing one
or a whole cohort's, the PDF made once and kept, revocation with a reason, public verification,
a cohort's ZIP and Open Badges 2.0 documents.

A certificate freezes what it states (holder, programme title, hours, completion date) on its
row and keeps the PDF made when it was issued: downloading returns those stored bytes, so a
later change of name or title never alters a certificate silently."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.core.models import RoleAssignment, User
from lms.core.services import audit, files
from lms.core.services.errors import Conflict, NotFound, ServiceError, joined
from lms.courses.models import Cohort, Enrolment, Programme
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import ledger as ledger_service
from lms.db import db, utcnow
from lms.portfolio.models import Certificate
from lms.portfolio.services.defenses import DefenseResult, defense_results
from lms.portfolio.services.schemes import scheme_for, scheme_of
from lms.quizbank.services.attempts import score_shown
from lms.quizbank.services.results import best_results
from lms.quizbank.services.tests import tests_of
from lms.signals import certificate_issued

LANGUAGES = ("kk", "ru")
#: roles that make a user staff of a cohort: they are never issued a certificate
STAFF_ROLES = ("admin", "methodologist", "trainer", "assessor", "curator")
#: the random part of a number: no I, L, O, U, so it reads aloud and copies by hand safely
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_RANDOM = 8
ISSUER_NAME = "Ұстаз · Ustaz"
MAX_PDF_BYTES = 5 * 1024 * 1024
OPEN_BADGES_CONTEXT = "https://w3id.org/openbadges/v2"

#: the certificate's own words, in the language it is issued in (content, not UI: the reader's
#: interface language does not change a certificate)
TEXTS = {
    "kk": {
        "heading": "СЕРТИФИКАТ",
        "intro": "Осы сертификат",
        "body": "«{title}» білім беру бағдарламасы бойынша біліктілікті арттыру курсынан {hours} академиялық"
                " сағат көлемінде өткенін растайды.",
        "completed": "Курсты аяқтаған күні: {date}",
        "issued": "Берілген күні: {date}",
        "number": "Тіркеу нөмірі: {number}",
        "verify": "Түпнұсқалығын тексеру: {url}",
    },
    "ru": {
        "heading": "СЕРТИФИКАТ",
        "intro": "Настоящий сертификат подтверждает, что",
        "body": "прошёл(-ла) курс повышения квалификации по образовательной программе «{title}» в объёме"
                " {hours} {hours_word}.",
        "completed": "Дата окончания курса: {date}",
        "issued": "Дата выдачи: {date}",
        "number": "Регистрационный номер: {number}",
        "verify": "Проверка подлинности: {url}",
    },
}


# --- eligibility --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    """Why a participant gets no certificate: a code the pages translate, an English message
    for the CLI and the log, and the figures both use."""

    code: str
    message: str
    data: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def reason_text(reason: Reason) -> str:
    """A refusal reason in the reader's language."""
    d = reason.data
    if reason.code == "withdrawn":
        return _("Withdrawn from the cohort")
    if reason.code == "staff":
        return _("Holds the %(roles)s role: certificates go to participants only", roles=d["roles"])
    if reason.code == "not_completed":
        return _("The enrolment is not marked completed")
    if reason.code == "final_test_missing":
        return _("No finished final test")
    if reason.code == "final_test_failed":
        return _("Final test not passed (best %(percent)s %%)", percent=d["percent"])
    if reason.code == "final_test_below":
        return _("Final test %(percent)s %% is below the %(required)s %% required", percent=d["percent"],
                 required=d["required"])
    if reason.code == "final_test_awaited":
        return _("The final test's result is not shown yet")
    if reason.code == "defense_missing":
        return _("No decided defense")
    if reason.code == "defense_awaited":
        return _("The defense's grade is not released yet")
    if reason.code == "defense_failed":
        return _("Defense not passed (%(points)s of %(max)s points)", points=d["points"], max=d["max"])
    if reason.code == "hours_incomplete":
        # not **d: gettext's own first parameter is named "self"
        return _("Hours incomplete: %(attended)s of %(contact)s contact hours attended, %(accepted)s of"
                 " %(self_study)s self-study hours accepted", attended=d["attended"], contact=d["contact"],
                 accepted=d["accepted"], self_study=d["self"])
    return reason.message


@dataclass
class Eligibility:
    enrolment: Enrolment
    reasons: list[Reason]
    #: the valid certificate the enrolment already holds
    certificate: Certificate | None = None
    final_percent: float | None = None
    defense: DefenseResult | None = None
    ledger: ledger_service.Ledger | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def lapsed(self) -> bool:
        """Holds a valid certificate but no longer meets the rules: a regrade lowered the final
        test, a defense or the attendance was corrected after issue. Certificates are never
        revoked by a rule; a person decides (the reason is public)."""
        return self.certificate is not None and bool(self.reasons)


def _hours_text(value: float) -> str:
    return f"{value:g}"


def _staff_roles(cohort: Cohort, user_ids: list[int]) -> dict[int, set[str]]:
    """{user id: staff roles held in the cohort, its programme or the system}; one statement."""
    if not user_ids:
        return {}
    out: dict[int, set[str]] = {}
    for user_id, role in db.session.execute(
            select(RoleAssignment.user_id, RoleAssignment.role).where(
                RoleAssignment.user_id.in_(user_ids), RoleAssignment.role.in_(STAFF_ROLES),
                or_(and_(RoleAssignment.context_level == "cohort", RoleAssignment.context_id == cohort.id),
                    and_(RoleAssignment.context_level == "programme",
                         RoleAssignment.context_id == cohort.programme_id),
                    RoleAssignment.context_level == "system"))):
        out.setdefault(user_id, set()).add(role)
    return out


def _valid_certificates(enrolment_ids: list[int]) -> dict[int, Certificate]:
    if not enrolment_ids:
        return {}
    return {c.enrolment_id: c for c in db.session.scalars(
        select(Certificate).where(Certificate.enrolment_id.in_(enrolment_ids), Certificate.revoked_at.is_(None)))}


def _assess(cohort: Cohort, enrolments: list[Enrolment], released_only: bool = False) -> list[Eligibility]:
    """Each enrolment against the programme's rules, in a fixed number of statements however
    many participants the cohort has. With `released_only` (a participant's own page) a result
    they may not see yet (a test score its review options withhold, a defense grade not
    released) is said to be awaited, without its figures."""
    rules = scheme_of(cohort).certificate
    ids = [e.id for e in enrolments]
    held = _valid_certificates(ids)
    staff = _staff_roles(cohort, [e.user_id for e in enrolments])
    wants_test = bool(rules.get("final_test_passed")) or rules.get("final_test_min_percent") is not None
    finals = best_results(cohort.id, "final") if wants_test and ids else {}
    defenses = defense_results(cohort.id) if rules.get("defense_passed") and ids else {}
    data = ledger_service.load(cohort, enrolments) if rules.get("hours_complete") and ids else None
    withheld = {t.id for t in tests_of(cohort) if not score_shown(t)} if released_only and finals else set()

    out = []
    for e in enrolments:
        row = Eligibility(e, [], held.get(e.id))
        if e.status == "withdrawn":
            row.reasons.append(Reason("withdrawn", "withdrawn from the cohort"))
        roles = sorted(staff.get(e.user_id, ()))
        if roles:
            row.reasons.append(Reason("staff", f"holds the {', '.join(roles)} role: certificates go to"
                                               " participants only", {"roles": ", ".join(roles)}))
        if not rules and e.status != "completed":
            row.reasons.append(Reason("not_completed", "the enrolment is not marked completed"))
        if wants_test:
            results = list((finals.get(e.id) or {}).values())
            best = max(results, key=lambda r: r.percent) if results else None
            row.final_percent = best.percent if best else None
            if best is None:
                row.reasons.append(Reason("final_test_missing", "no finished final test"))
            elif best.test_id in withheld:
                row.reasons.append(Reason("final_test_awaited", "the final test's result is not shown yet"))
            else:
                percent = _hours_text(round(best.percent, 2))
                if rules.get("final_test_passed") and not best.passed:
                    row.reasons.append(Reason("final_test_failed", f"final test not passed (best {percent} %)",
                                              {"percent": percent}))
                required = rules.get("final_test_min_percent")
                if required is not None and best.percent < float(required):
                    row.reasons.append(Reason(
                        "final_test_below", f"final test {percent} % is below the {float(required):g} % required",
                        {"percent": percent, "required": f"{float(required):g}"}))
        if rules.get("defense_passed"):
            result = row.defense = defenses.get(e.id)
            if result is None:
                row.reasons.append(Reason("defense_missing", "no decided defense"))
            elif released_only and not result.released:
                row.reasons.append(Reason("defense_awaited", "the defense's grade is not released yet"))
            elif not result.passed:
                points = f"{_hours_text(result.points)} of {_hours_text(result.max_points)}"
                row.reasons.append(Reason(
                    "defense_failed", f"defense not passed ({points} points" +
                    (f", grade {result.grade})" if result.grade else ")"),
                    {"points": _hours_text(result.points), "max": _hours_text(result.max_points),
                     "grade": result.grade or ""}))
        if data is not None:
            book = row.ledger = ledger_service.ledger_of(data, e)
            short_contact = book.attended + 0.005 < book.contact_planned
            short_self = book.accepted + 0.005 < book.self_planned
            if short_contact or short_self:
                figures = {"attended": _hours_text(book.attended), "contact": _hours_text(book.contact_planned),
                           "accepted": _hours_text(book.accepted), "self": _hours_text(book.self_planned)}
                row.reasons.append(Reason(
                    "hours_incomplete",
                    "hours incomplete: {attended} of {contact} contact hours attended, {accepted} of {self}"
                    " self-study hours accepted".format(**figures), figures))
        out.append(row)
    return out


def eligibility(target: Enrolment | Cohort, *, released_only: bool = False) -> Eligibility | list[Eligibility]:
    """For an enrolment: its Eligibility. For a cohort: every enrolment's (withdrawn ones too,
    so a list says why they have none), in name order. `released_only`: as the participant
    may see it (see `_assess`)."""
    if isinstance(target, Cohort):
        return _assess(target, cohort_service.enrolments(target, include_withdrawn=True), released_only)
    return _assess(target.cohort, [target], released_only)[0]


# --- issuing --------------------------------------------------------------------------------------

def lapsed(cohort: Cohort) -> list[Eligibility]:
    """The cohort's valid certificates whose holders no longer meet the rules, with the reasons."""
    return [row for row in eligibility(cohort) if row.lapsed]


def _language(language: str | None, enrolment: Enrolment) -> str:
    if language:
        if language not in LANGUAGES:
            raise ServiceError(f"a certificate is issued in {' or '.join(LANGUAGES)}, not {language!r}",
                               field="language")
        return language
    if enrolment.cohort.language in LANGUAGES:
        return enrolment.cohort.language
    return enrolment.user.language if enrolment.user.language in LANGUAGES else "kk"


def new_number(programme_code: str, now: datetime | None = None) -> str:
    """UST-<year>-<programme>-<8 random characters>: readable, and 40 random bits make a
    number impossible to guess."""
    now = now or utcnow()
    code = re.sub(r"[^A-Z0-9-]", "", programme_code.upper())[:22] or "X"
    for _attempt in range(10):
        number = f"UST-{now.year}-{code}-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM))
        if db.session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
    raise Conflict("could not draw an unused certificate number; try again")  # pragma: no cover


def normalize_number(number: str) -> str:
    """As typed by a reader: any case, and O, I, L in the random part read as 0, 1, 1."""
    number = (number or "").strip().upper()
    head, sep, tail = number.rpartition("-")
    return head + sep + tail.translate(str.maketrans("OIL", "011")) if sep else number


def verify_url(number: str) -> str:
    return f"{current_app.config['LMS'].public_url.rstrip('/')}/verify/{number}"


def _completed_on(enrolment: Enrolment, now: datetime) -> datetime:
    """When the enrolment was marked completed; otherwise the cohort's last day (noon, local
    time), or today if the certificate is issued before that day."""
    if enrolment.completed_at is not None:
        return enrolment.completed_at
    cohort = enrolment.cohort
    end = datetime.combine(cohort.end_date, time(12), ZoneInfo(cohort.timezone)).astimezone(timezone.utc)
    return min(end, now)


def _programme_title(programme: Programme, language: str) -> str:
    return (getattr(programme, f"title_{language}", None) or programme.title_kk).strip()


def certified_enrolments(enrolment_ids):
    """Of a SELECT of enrolment ids, those holding a valid certificate (the courses report's
    "certified" column)."""
    return select(Certificate.enrolment_id).where(Certificate.enrolment_id.in_(enrolment_ids),
                                                  Certificate.revoked_at.is_(None))


def issue(enrolment: Enrolment, language: str | None = None, actor=None) -> Certificate:
    """Issue the enrolment's certificate, if the programme's rules admit it; a refusal names
    every reason. Conflict when it already holds a valid one."""
    row = _assess(enrolment.cohort, [enrolment])[0]
    if row.certificate is not None:
        raise Conflict(_l("%(name)s already holds certificate %(number)s", name=enrolment.user.full_name,
                          number=row.certificate.number), field="enrolment")
    if row.reasons:
        raise ServiceError(_l("%(name)s is not eligible: %(reasons)s", name=enrolment.user.full_name,
                              reasons=joined(LazyString(reason_text, r) for r in row.reasons)), field="enrolment")
    return _issue(enrolment, _language(language, enrolment), actor)


def _issue(enrolment: Enrolment, language: str, actor) -> Certificate:
    now = utcnow()
    cohort = enrolment.cohort
    programme = cohort.programme
    cert = Certificate(
        number=new_number(programme.code, now), enrolment_id=enrolment.id, language=language,
        holder_name=unicodedata.normalize("NFC", " ".join(enrolment.user.full_name.split())),
        programme_code=programme.code, programme_title=_programme_title(programme, language),
        hours=float(programme.nominal_hours) * cohort.hours_factor,  # a one-week run certifies half
        completed_on=_completed_on(enrolment, now), issued_at=now,
        issued_by_id=getattr(actor, "id", None))
    pdf = render_pdf(cert, cohort.timezone)
    try:
        with db.session.begin_nested():
            stored = files.store(pdf, f"{cert.number}.pdf", actor, allowed={".pdf": "application/pdf"},
                                 max_bytes=MAX_PDF_BYTES)
            cert.file_id, cert.sha256 = stored.id, stored.sha256
            db.session.add(cert)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("%(name)s was issued a certificate a moment ago", name=enrolment.user.full_name),
                       field="enrolment") from None
    audit.record(actor, "certificate_issued", cert, f"{cert.number}: {cert.holder_name}, {cohort.code}",
                 number=cert.number, enrolment_id=enrolment.id, sha256=cert.sha256, language=language)
    certificate_issued.send(cert, actor=actor)
    if enrolment.status != "completed":
        # a certificate holder has completed the course: this starts their support year
        cohort_service.set_status(enrolment, "completed", actor, completed_at=cert.completed_on)
    return cert


@dataclass
class IssueReport:
    issued: list[Certificate] = field(default_factory=list)
    #: enrolments that already held a valid certificate, with it
    already: list[tuple[Enrolment, Certificate]] = field(default_factory=list)
    refused: list[Eligibility] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.issued)} issued, {len(self.already)} already held one,"
                f" {len(self.refused)} refused")


def issue_cohort(cohort: Cohort, language: str | None = None, actor=None) -> IssueReport:
    """Issue to every eligible participant of the cohort who holds no valid certificate yet.
    Staff and the ineligible get none; the report says why for each."""
    if language and language not in LANGUAGES:
        raise ServiceError(f"a certificate is issued in {' or '.join(LANGUAGES)}, not {language!r}",
                           field="language")
    report = IssueReport()
    for row in eligibility(cohort):
        if row.reasons:
            report.refused.append(row)
        elif row.certificate is not None:
            report.already.append((row.enrolment, row.certificate))
        else:
            report.issued.append(_issue(row.enrolment, _language(language, row.enrolment), actor))
    return report


# --- the PDF ---------------------------------------------------------------------------------------

def _local_date(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%d.%m.%Y")


def _ru_hours_word(hours: float) -> str:
    n = int(hours)
    if hours == n and n % 10 == 1 and n % 100 != 11:
        return "академического часа"
    return "академических часов"


def render_pdf(cert: Certificate, tz: str = "Asia/Almaty") -> bytes:
    """A landscape A4 page in the certificate's language, with the bundled DejaVu font (every
    Kazakh letter) and a QR code of the public verification page. Called once, at issue."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    from lms.core.pdf import BOLD, REGULAR, register_fonts

    register_fonts()
    t = TEXTS[cert.language]
    url = verify_url(cert.number)
    width, height = landscape(A4)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height), pageCompression=1)
    c.setTitle(f"{t['heading']} {cert.number}")
    c.setAuthor(ISSUER_NAME)
    c.setSubject(f"{cert.holder_name}: {cert.programme_title}")

    navy = colors.HexColor("#1f3a5f")
    c.setStrokeColor(navy)
    c.setLineWidth(3)
    c.rect(24, 24, width - 48, height - 48)
    c.setLineWidth(0.8)
    c.rect(32, 32, width - 64, height - 64)

    c.setFillColor(navy)
    c.setFont(REGULAR, 11)
    c.drawCentredString(width / 2, height - 70, ISSUER_NAME)
    c.setFont(BOLD, 36)
    c.drawCentredString(width / 2, height - 125, t["heading"])
    c.setFillColor(colors.black)
    c.setFont(REGULAR, 15)
    c.drawCentredString(width / 2, height - 175, t["intro"])

    size = 28.0
    while size > 14 and stringWidth(cert.holder_name, BOLD, size) > width - 140:
        size -= 1
    c.setFont(BOLD, size)
    c.drawCentredString(width / 2, height - 220, cert.holder_name)

    hours = _hours_text(cert.hours)
    # a no-break space keeps the figure with its unit on one line
    body = t["body"].format(title=escape(cert.programme_title), hours=hours,
                            hours_word=_ru_hours_word(cert.hours)).replace(f" {hours} ", f" {hours}\u00a0")
    style = ParagraphStyle("certificate", fontName=REGULAR, fontSize=15, leading=21, alignment=TA_CENTER)
    paragraph = Paragraph(body, style)
    _w, h = paragraph.wrap(width - 180, 140)
    paragraph.drawOn(c, 90, height - 250 - h)

    c.setFont(REGULAR, 12)
    c.drawString(70, 150, t["completed"].format(date=_local_date(cert.completed_on, tz)))
    c.drawString(70, 130, t["issued"].format(date=_local_date(cert.issued_at, tz)))
    c.setFont(BOLD, 12)
    c.drawString(70, 105, t["number"].format(number=cert.number))
    c.setFont(REGULAR, 8.5)
    c.drawString(70, 60, t["verify"].format(url=url))

    qr = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    side = 118
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, width - 70 - side, 48)

    c.showPage()
    c.save()
    return buf.getvalue()


# --- reading, revoking, verifying ----------------------------------------------------------------

def get_certificate(number: str) -> Certificate:
    cert = db.session.scalar(select(Certificate).where(Certificate.number == normalize_number(number)))
    if cert is None:
        raise NotFound(f"no certificate {number}")
    return cert


def certificate_in(cohort: Cohort, number: str) -> Certificate:
    """A certificate of this cohort (another cohort's number is NotFound, as a missing one)."""
    cert = db.session.scalar(
        select(Certificate).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .where(Certificate.number == normalize_number(number), Enrolment.cohort_id == cohort.id))
    if cert is None:
        raise NotFound(f"no certificate {number} in cohort {cohort.code}")
    return cert


def certificates_of(cohort: Cohort, *, include_revoked: bool = True) -> list[Certificate]:
    """The cohort's certificates, newest first, with their enrolments' users."""
    stmt = (select(Certificate).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id)
            .options(selectinload(Certificate.enrolment).selectinload(Enrolment.user))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    if not include_revoked:
        stmt = stmt.where(Certificate.revoked_at.is_(None))
    return list(db.session.scalars(stmt))


def latest_of(enrolment: Enrolment) -> Certificate | None:
    """The enrolment's valid certificate, or else its most recently revoked one."""
    return db.session.scalar(
        select(Certificate).where(Certificate.enrolment_id == enrolment.id)
        .order_by(Certificate.revoked_at.is_(None).desc(), Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1))


def pdf_bytes(cert: Certificate) -> bytes:
    """The PDF as stored when issued, checked against the SHA-256 kept on the row; never
    remade (a missing or altered file is an error to look into, not something to paper over)."""
    stored = cert.file
    path = files.path_of(stored)
    if not path.exists():
        raise NotFound(f"the stored PDF of certificate {cert.number} is missing")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != cert.sha256:
        raise Conflict(f"the stored PDF of certificate {cert.number} does not match its SHA-256")
    return data


def revoke(cert: Certificate, reason: str, actor) -> Certificate:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(_l("say why the certificate is revoked"), field="reason")
    if len(reason) > 1000:
        raise ServiceError(_l("the reason is longer than %(count)s characters", count=1000), field="reason")
    if cert.revoked_at is not None:
        raise Conflict(_l("certificate %(number)s was already revoked on %(date)s", number=cert.number,
                          date=f"{cert.revoked_at:%Y-%m-%d}"),
                       field="reason")
    cert.revoked_at = utcnow()
    cert.revoked_by_id = getattr(actor, "id", None)
    cert.revoke_reason = reason
    db.session.flush()
    audit.record(actor, "certificate_revoked", cert, f"{cert.number}: {reason}", number=cert.number, reason=reason)
    return cert


def verify(number: str) -> dict:
    """What the public verification page and API state: the certificate's frozen facts and
    whether it is valid or revoked (with date and reason). NotFound for an unknown number."""
    row = db.session.execute(
        select(Certificate, Cohort.timezone)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Certificate.number == normalize_number(number))).first()
    if row is None:
        raise NotFound(f"no certificate {number}")
    cert, tz = row
    zone = ZoneInfo(tz or "Asia/Almaty")
    return {
        "number": cert.number,
        "status": "revoked" if cert.revoked_at else "valid",
        "holder_name": cert.holder_name,
        "programme_code": cert.programme_code,
        "programme_title": cert.programme_title,
        "hours": cert.hours,
        "language": cert.language,
        "completed_on": cert.completed_on.astimezone(zone).date().isoformat(),
        "issued_on": cert.issued_at.astimezone(zone).date().isoformat(),
        "revoked_on": cert.revoked_at.astimezone(zone).date().isoformat() if cert.revoked_at else None,
        "revoke_reason": cert.revoke_reason,
        "sha256": cert.sha256,
        "verify_url": verify_url(cert.number),
    }


def _zip_name(cert: Certificate) -> str:
    name = re.sub(r'[\\/:*?"<>|]+', "", cert.holder_name).strip() or "certificate"
    return f"{cert.number} {name}.pdf"


def zip_of_cohort(cohort: Cohort) -> bytes:
    """The stored PDFs of the cohort's valid certificates, one ZIP."""
    certs = sorted(certificates_of(cohort, include_revoked=False), key=lambda c: (c.holder_name.casefold(), c.id))
    if not certs:
        raise NotFound(f"cohort {cohort.code} has no valid certificates yet")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for cert in certs:
            archive.writestr(_zip_name(cert), pdf_bytes(cert))
    return buf.getvalue()


# --- Open Badges 2.0 -------------------------------------------------------------------------------

def _base() -> str:
    return current_app.config["LMS"].public_url.rstrip("/")


def assertion_url(number: str) -> str:
    return f"{_base()}/api/v1/certificates/{number}/badge"


def badge_class_url(programme_code: str, hours: float | None = None) -> str:
    """A run shorter than the programme's nominal hours (a one-week full-time run) has its own
    BadgeClass, so the badge's description says the hours its certificate states."""
    url = f"{_base()}/api/v1/badges/classes/{programme_code}"
    return f"{url}?hours={_hours_text(hours)}" if hours is not None else url


def issuer_url() -> str:
    return f"{_base()}/api/v1/badges/issuer"


def _salt(number: str) -> str:
    """Stable per certificate and not derivable from public facts, so the hashed e-mail in a
    published assertion cannot be matched against a list of addresses."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"badge-salt:{number}".encode(), hashlib.sha256).hexdigest()[:16]


def open_badge(cert: Certificate) -> dict:
    """The certificate as an Open Badges 2.0 Assertion, verified by hosting (its id is the URL
    that serves it). A revoked certificate says so (revoked, revocationReason)."""
    email = db.session.scalar(select(User.email).join(Enrolment, Enrolment.user_id == User.id)
                              .where(Enrolment.id == cert.enrolment_id)) or ""
    salt = _salt(cert.number)
    assertion = {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": assertion_url(cert.number),
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()},
        "badge": badge_class_url(cert.programme_code, _short_hours(cert.programme_code, cert.hours)),
        "verification": {"type": "hosted"},
        "issuedOn": cert.issued_at.astimezone(timezone.utc).isoformat(),
        "evidence": [{"id": verify_url(cert.number),
                      "narrative": f"{cert.programme_title}: {_hours_text(cert.hours)} h"}],
    }
    if cert.revoked_at is not None:
        assertion["revoked"] = True
        assertion["revocationReason"] = cert.revoke_reason
    return assertion


def _criteria_narrative(programme_code: str) -> str:
    rules = scheme_for(programme_code).certificate
    parts = []
    if rules.get("final_test_passed"):
        parts.append("Қорытынды тест тапсырылды / итоговый тест сдан")
    if rules.get("final_test_min_percent") is not None:
        p = f"{float(rules['final_test_min_percent']):g}"
        parts.append(f"Қорытынды тест кемінде {p} % / итоговый тест не менее {p} %")
    if rules.get("defense_passed"):
        parts.append("Жоба қорғалды / проект защищён")
    if rules.get("hours_complete"):
        parts.append("Бағдарламаның барлық сағаттары орындалды / все часы программы выполнены")
    return "; ".join(parts) or "Курс аяқталды / курс завершён"


def _badge_image(code: str, hours: float) -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
           '<circle cx="128" cy="128" r="120" fill="#1f3a5f"/><circle cx="128" cy="128" r="104" fill="none"'
           ' stroke="#f2c14e" stroke-width="6"/>'
           f'<text x="128" y="120" font-family="DejaVu Sans, sans-serif" font-size="30" fill="#fff"'
           f' text-anchor="middle">{escape(code)}</text>'
           f'<text x="128" y="165" font-family="DejaVu Sans, sans-serif" font-size="26" fill="#f2c14e"'
           f' text-anchor="middle">{_hours_text(hours)} h</text></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def run_hours(programme_code: str) -> set[float]:
    """The hours a certificate of the programme may state: its nominal hours, and those of each
    format's shorter run (nominal x the format's factor)."""
    from lms.courses.services import get_programme

    programme = get_programme(programme_code)
    return {float(programme.nominal_hours)} | {
        float(programme.nominal_hours) * float(f.short_run["factor"]) for f in programme.formats
        if (f.short_run or {}).get("factor")}


def _short_hours(programme_code: str, hours: float) -> float | None:
    """`hours` when it is not the programme's nominal length (None when it is)."""
    from lms.courses.services import get_programme

    try:
        nominal = float(get_programme(programme_code).nominal_hours)
    except ServiceError:
        return None
    return None if float(hours) == nominal else float(hours)


def badge_class(programme_code: str, hours: float | None = None) -> dict:
    """The BadgeClass of a programme's certificate (public, by programme code); `hours` names a
    shorter run's (NotFound for hours no run of the programme gives)."""
    from lms.courses.services import get_programme

    programme = get_programme(programme_code)
    if hours is not None and float(hours) not in run_hours(programme.code):
        raise NotFound(f"no run of {programme.code} gives {_hours_text(hours)} hours")
    shown = float(hours) if hours is not None else float(programme.nominal_hours)
    short = None if shown == float(programme.nominal_hours) else shown
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(programme.code, short),
        "name": programme.title_kk,
        "description": " / ".join(t for t in (programme.title_kk, programme.title_ru) if t)
        + f" ({_hours_text(shown)} h)",
        "image": _badge_image(programme.code, shown),
        "criteria": {"narrative": _criteria_narrative(programme.code)},
        "issuer": issuer_url(),
        "tags": [programme.code],
    }


def issuer_profile() -> dict:
    return {"@context": OPEN_BADGES_CONTEXT, "type": "Issuer", "id": issuer_url(), "name": ISSUER_NAME,
            "url": _base()}
