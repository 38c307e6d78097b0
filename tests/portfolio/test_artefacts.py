"""Portfolios: artefacts (file, link, text) per enrolment, the infoteka, the hand-in, share
links; a participant never reads another's portfolio except through a live share link."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.core.models import AuditEntry, StoredFile
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.db import db, utcnow
from lms.portfolio.models import Artefact, ShareLink
from lms.portfolio.services import artefacts

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    """Portfolio files go to a temporary store, never the working tree."""
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    return tmp_path / "files"


def fetch(client, url) -> tuple[int, bytes]:
    """A download's status and body, the response closed (a file response holds the file open)."""
    with client.get(url) as r:
        return r.status_code, r.get_data()


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def cohort(make, db_session):
    """An LDR-DT cohort of two participants and a trainer; ids and e-mails read up front."""
    trainer = make.user(email="pf-trainer@test.kz")
    c = make.cohort(code="PF-A", programme="LDR-DT", format_code="blended", participants=2, trainer=trainer)
    return c


def _enrolment(cohort, n: int) -> Enrolment:
    return sorted(cohort.enrolments, key=lambda e: e.user.email)[n]


@pytest.fixture
def add(app):
    """add(enrolment, section, kind, title=..., upload=(bytes, name), ...): an artefact made by
    its owner (with a file: inside an app context, committed)."""

    def _add(enrolment, section="work", kind="text", **fields):
        upload = fields.pop("upload", None)
        data = {"section": section, "kind": kind, "title": fields.pop("title", "Менің жұмысым"), **fields}
        if kind == "text":
            data.setdefault("text", "Мәтін")
        if upload is None:
            return artefacts.save_artefact(enrolment, data, None, enrolment.user)
        with app.app_context():  # its teardown ends the session: commit inside
            artefact = artefacts.save_artefact(enrolment, data, upload, enrolment.user)
            db.session.commit()
            artefact_id = artefact.id
        return db.session.get(Artefact, artefact_id)

    return _add


# --- services -------------------------------------------------------------------------------

def test_artefacts_are_checked_and_grouped_by_section(cohort, db_session, add):
    e = _enrolment(cohort, 0)
    law = add(e, "infoteka", "link", title="«Білім туралы» Заң", category="normative_acts",
               link="https://adilet.zan.kz/kaz/docs/Z070000319_")
    assert law.kind == "link" and law.url.startswith("https://adilet")
    work = add(e, title="SWOT-талдау", topic_code="1.2")
    assert (work.module_number, work.topic_code) == (1, "1.2")  # a topic implies its module
    plan = add(e, kind="file", title="Стратегиялық жоспар", module_number="8", upload=(PDF, "жоспар.pdf"))
    assert plan.file.original_name == "жоспар.pdf" and plan.file.mime_type == "application/pdf"
    handed = add(e, "submission", "link", title="Портфолио", link="https://drive.example.kz/portfolio")
    db_session.commit()

    p = artefacts.portfolio(e)
    assert [a.id for a in p.infoteka["normative_acts"]] == [law.id]
    assert p.infoteka["articles"] == [] and list(p.infoteka) == list(artefacts.INFOTEKA_CATEGORIES)
    assert [a.id for a in p.work] == [work.id, plan.id]  # programme order: module 1 before module 8
    assert p.handed_in.id == handed.id
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Artefact")))
    assert {"artefact_added", "portfolio_handed_in"} <= actions

    def refused(field, **fields):
        with pytest.raises(ServiceError) as exc:
            add(e, **fields)
        assert exc.value.field == field, exc.value.message
        return exc.value.message

    assert refused("category", section="infoteka", kind="link", link="https://x.kz", category="novels")
    assert "http" in refused("link", kind="link", link="javascript:alert(1)")
    assert refused("text", kind="text", text="  ")
    assert refused("file", kind="file")
    assert refused("title", title=" ")
    assert refused("kind", kind="video")
    assert refused("module_number", module_number="9") == "the programme has no module 9"
    assert refused("topic_code", topic_code="1.2", module_number="2") == "topic 1.2 belongs to module 1, not 2"
    assert refused("topic_code", topic_code="9.9") == "the programme has no topic 9.9"
    assert "20,000" in refused("text", text="ә" * 20_001)

    with pytest.raises(Conflict):
        artefacts.save_artefact(e, {"title": "x"}, None, e.user, handed)
    with pytest.raises(Conflict):
        artefacts.delete_artefact(handed, e, e.user)
    other = _enrolment(cohort, 1)
    with pytest.raises(NotFound):
        artefacts.get_artefact(other, work.id)
    with pytest.raises(NotFound):
        artefacts.delete_artefact(work, other, other.user)

    artefacts.save_artefact(e, {"title": "SWOT (2)", "topic_code": "", "module_number": "2", "text": "Жаңа"}, None,
                            e.user, work)
    assert (work.title, work.module_number, work.topic_code, work.kind) == ("SWOT (2)", 2, None, "text")
    change = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "artefact_changed"))
    assert change.details["old"]["title"] == "SWOT-талдау" and change.details["new"]["module_number"] == 2


def test_a_withdrawn_participant_keeps_a_read_only_portfolio(cohort, db_session, add):
    e = _enrolment(cohort, 0)
    work = add(e)
    cohort_service.set_status(e, "withdrawn", None)
    with pytest.raises(ServiceError, match="withdrawn"):
        add(e)
    with pytest.raises(ServiceError, match="withdrawn"):
        artefacts.delete_artefact(work, e, e.user)
    with pytest.raises(ServiceError, match="withdrawn"):
        artefacts.create_share_link(e, 7, e.user)


def test_share_links_are_hashed_expire_and_are_revocable(cohort, db_session):
    e = _enrolment(cohort, 0)
    now = utcnow()
    link, plain = artefacts.create_share_link(e, 7, e.user, now=now)
    assert link.token_hash == hashlib.sha256(plain.encode()).hexdigest() and plain not in link.token_hash
    assert link.expires_at == now + timedelta(days=7)
    assert artefacts.live_share(plain, now + timedelta(days=6)).id == link.id
    with pytest.raises(artefacts.ShareLinkGone) as exc:
        artefacts.live_share(plain, now + timedelta(days=7))
    assert exc.value.reason == "expired"
    with pytest.raises(NotFound):
        artefacts.live_share(plain + "x")
    with pytest.raises(NotFound):
        artefacts.live_share("")
    artefacts.revoke_share_link(link, e.user)
    with pytest.raises(artefacts.ShareLinkGone) as exc:
        artefacts.live_share(plain, now)
    assert exc.value.reason == "revoked"
    with pytest.raises(Conflict):
        artefacts.revoke_share_link(link, e.user)
    for days in (0, 91, "many"):
        with pytest.raises(ServiceError) as exc:
            artefacts.create_share_link(e, days, e.user)
        assert exc.value.field == "days"
    assert artefacts.create_share_link(e, None, e.user, now=now)[0].expires_at == now + timedelta(days=14)
    for _ in range(artefacts.MAX_LIVE_LINKS - 1):
        artefacts.create_share_link(e, 1, e.user, now=now)
    with pytest.raises(Conflict, match="revoke one first"):
        artefacts.create_share_link(e, 1, e.user, now=now)
    actions = [a for a in db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "ShareLink"))]
    assert actions.count("share_link_created") == artefacts.MAX_LIVE_LINKS + 1 and "share_link_revoked" in actions


# --- pages ----------------------------------------------------------------------------------

def test_participant_keeps_a_portfolio_through_the_pages(client, auth, cohort, db_session):
    e = _enrolment(cohort, 0)
    code, email = cohort.code, e.user.email
    auth.login(email)
    page = client.get(f"/cohorts/{code}/portfolio")
    assert page.status_code == 200 and len(page.data) < 60_000
    text = page.get_data(as_text=True)
    assert f"/cohorts/{code}/portfolio/new/infoteka" in text and f"/cohorts/{code}/portfolio/new/submission" in text

    r = client.post(f"/cohorts/{code}/portfolio/new/work", data={
        "kind": "file", "title": "Сабақ жоспары", "module_number": "1", "topic_code": "", "text": "",
        "file": (io.BytesIO(PDF), "сабақ.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    r = client.post(f"/cohorts/{code}/portfolio/new/infoteka", data={
        "category": "teaching_aids", "title": "Оқу құралы", "link": "https://orleu-edu.kz/aid"})
    assert r.status_code == 302
    r = client.post(f"/cohorts/{code}/portfolio/new/infoteka", data={
        "category": "teaching_aids", "title": "Жаман сілтеме", "link": "файл"})
    assert r.status_code == 200 and "http:// немесе https://" in r.get_data(as_text=True)
    plan = db_session.scalar(select(Artefact).where(Artefact.title == "Сабақ жоспары"))
    aid = db_session.scalar(select(Artefact).where(Artefact.title == "Оқу құралы"))
    assert aid.section == "infoteka" and aid.kind == "link" and aid.category == "teaching_aids"
    with client.get(f"/cohorts/{code}/portfolio/files/{plan.id}") as download:
        assert download.status_code == 200 and download.get_data() == PDF
        assert download.headers["Cache-Control"] == "private, no-store"

    page = client.get(f"/cohorts/{code}/portfolio").get_data(as_text=True)
    assert "Сабақ жоспары" in page and "Оқу құралы" in page and "сабақ.pdf" in page

    r = client.post(f"/cohorts/{code}/portfolio/artefacts/{aid.id}", data={
        "category": "articles", "title": "Мақала", "link": "https://orleu-edu.kz/article"})
    assert r.status_code == 302
    db_session.expire_all()
    aid = db_session.get(Artefact, aid.id)
    assert (aid.category, aid.title, aid.url) == ("articles", "Мақала", "https://orleu-edu.kz/article")

    # deleting asks first: GET is the question, POST the act
    ask = client.get(f"/cohorts/{code}/portfolio/artefacts/{aid.id}/delete")
    assert ask.status_code == 200 and "Мақала" in ask.get_data(as_text=True)
    assert db_session.get(Artefact, aid.id) is not None
    assert client.post(f"/cohorts/{code}/portfolio/artefacts/{aid.id}/delete").status_code == 302
    db_session.expire_all()
    assert db_session.get(Artefact, aid.id) is None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "artefact_deleted",
                                                      AuditEntry.object_id == str(aid.id))) is not None

    r = client.post(f"/cohorts/{code}/portfolio/new/submission", data={
        "kind": "text", "title": "Портфолио", "text": "Менің портфолиом"})
    assert r.status_code == 302
    handed = db_session.scalar(select(Artefact).where(Artefact.section == "submission"))
    assert client.get(f"/cohorts/{code}/portfolio/artefacts/{handed.id}").status_code == 404  # kept as handed in
    assert client.post(f"/cohorts/{code}/portfolio/artefacts/{handed.id}/delete").status_code == 302
    assert db_session.get(Artefact, handed.id) is not None
    assert client.get(f"/cohorts/{code}/portfolio/new/nonsense").status_code == 404


def test_file_type_and_size_refusals_store_nothing(client, auth, cohort, db_session, files_dir):
    e = _enrolment(cohort, 0)
    url = f"/cohorts/{cohort.code}/portfolio/new/work"
    auth.login(e.user.email)
    files_before, artefacts_before = _count(db_session, StoredFile), _count(db_session, Artefact)

    r = client.post(url, data={"kind": "file", "title": "Бағдарлама", "file": (io.BytesIO(b"MZ\x90\x00"), "setup.exe")},
                    content_type="multipart/form-data")
    # the refusal in the participant's language (Kazakh)
    assert r.status_code == 200 and ".exe түріндегі файлдар қабылданбайды" in r.get_data(as_text=True)
    r = client.post(url, data={"kind": "file", "title": "Жалған", "file": (io.BytesIO(b"not a pdf"), "fake.pdf")},
                    content_type="multipart/form-data")
    assert "Файл .pdf деп аталған, бірақ ол PDF емес" in r.get_data(as_text=True)
    big = PDF + b"0" * (10 * 1024 * 1024)
    boundary, body = encode_multipart({"kind": "file", "title": "Үлкен",
                                       "file": FileStorage(io.BytesIO(big), "big.pdf", content_type="application/pdf")})
    r = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 200 and "шегі — 10 МБ" in r.get_data(as_text=True)
    r = client.post(url, data={"kind": "file", "title": "Бос"}, content_type="multipart/form-data")
    assert "Файлды тіркеңіз" in r.get_data(as_text=True)

    assert _count(db_session, StoredFile) == files_before and _count(db_session, Artefact) == artefacts_before
    assert not files_dir.exists() or not any(p.is_file() for p in files_dir.rglob("*"))


def _share(client, code: str, days: int = 7) -> str:
    r = client.post(f"/cohorts/{code}/portfolio/share", data={"days": str(days)})
    assert r.status_code == 200
    found = re.search(r'value="(http://[^"]+/p/[^"]+)"', r.get_data(as_text=True))
    assert found, "the new link is shown on the response"
    return found.group(1).split("localhost", 1)[1]


def test_a_participant_cannot_read_anothers_portfolio_except_through_a_live_share_link(client, auth, cohort,
                                                                                        db_session, add):
    owner, other = _enrolment(cohort, 0), _enrolment(cohort, 1)
    work = add(owner, title="Жеке жоба", text="Құпия емес, бірақ менікі")
    plan = add(owner, kind="file", title="Жоспар", upload=(PDF, "жоспар.pdf"))
    theirs = add(other, title="Басқаның жұмысы")
    db_session.commit()
    code, owner_id, work_id, plan_id, theirs_id = cohort.code, owner.id, work.id, plan.id, theirs.id
    owner_email, other_email = owner.user.email, other.user.email

    auth.login(other_email)
    assert client.get(f"/cohorts/{code}/portfolios").status_code == 403
    assert client.get(f"/cohorts/{code}/portfolios/{owner_id}").status_code == 403
    assert client.get(f"/cohorts/{code}/portfolios/{owner_id}/files/{plan_id}").status_code == 403
    assert client.get(f"/cohorts/{code}/portfolio/artefacts/{work_id}").status_code == 404
    assert client.get(f"/cohorts/{code}/portfolio/files/{plan_id}").status_code == 404
    assert client.post(f"/cohorts/{code}/portfolio/artefacts/{work_id}/delete").status_code == 404
    assert client.post(f"/cohorts/{code}/portfolio/artefacts/{work_id}",
                       data={"title": "hijack", "text": "x"}).status_code == 404
    mine = client.get(f"/cohorts/{code}/portfolio").get_data(as_text=True)
    assert "Басқаның жұмысы" in mine and "Жеке жоба" not in mine
    auth.logout()

    auth.login(owner_email)
    share_path = _share(client, code)
    token = share_path.rsplit("/", 1)[1]
    link = db_session.scalar(select(ShareLink).where(ShareLink.enrolment_id == owner_id))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    link_id = link.id

    def expires(delta: timedelta) -> None:
        db_session.get(ShareLink, link_id).expires_at = utcnow() + delta  # requests end the session: load again
        db_session.commit()
    listing = client.get(f"/cohorts/{code}/portfolio/share").get_data(as_text=True)
    assert token not in listing  # shown once, never again
    auth.logout()

    for who in (None, other_email):  # anyone with the link, signed in or not
        if who:
            auth.login(who)
        page = client.get(share_path)
        assert page.status_code == 200
        assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
        text = page.get_data(as_text=True)
        assert "Жеке жоба" in text and "Басқаның жұмысы" not in text and "/edit" not in text
        assert fetch(client, f"{share_path}/files/{plan_id}") == (200, PDF)
        assert client.get(f"{share_path}/files/{theirs_id}").status_code == 404  # not this portfolio's
    assert client.get("/p/not-a-real-token").status_code == 404

    expires(-timedelta(seconds=1))
    assert client.get(share_path).status_code == 410
    assert client.get(f"{share_path}/files/{plan_id}").status_code == 410
    expires(timedelta(days=1))
    assert client.get(share_path).status_code == 200
    auth.logout()

    auth.login(owner_email)
    assert client.post(f"/cohorts/{code}/portfolio/share/{link_id}/revoke").status_code == 302
    auth.logout()
    gone = client.get(share_path)
    assert gone.status_code == 410 and "Жеке жоба" not in gone.get_data(as_text=True)
    auth.login(other_email)
    assert client.post(f"/cohorts/{code}/portfolio/share/{link_id}/revoke").status_code == 404


def test_staff_read_the_cohorts_portfolios(client, auth, cohort, make, db_session, add):
    owner = _enrolment(cohort, 0)
    add(owner, title="Жұмыс")
    plan = add(owner, kind="file", title="Жоспар", upload=(PDF, "жоспар.pdf"))
    add(owner, "submission", "text", title="Портфолио")
    outsider = make.cohort(code="PF-B", programme="LDR-DT", format_code="blended", participants=1)
    db_session.commit()
    code, owner_id, plan_id, outsider_enrolment = cohort.code, owner.id, plan.id, outsider.enrolments[0].id
    auth.login("pf-trainer@test.kz")
    listing = client.get(f"/cohorts/{code}/portfolios")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert text.count("data-enrolment=") == 2 and f"/cohorts/{code}/portfolios/{owner_id}" in text
    page = client.get(f"/cohorts/{code}/portfolios/{owner_id}").get_data(as_text=True)
    assert "Жұмыс" in page and "Портфолио" in page and f"/portfolios/{owner_id}/files/{plan_id}" in page
    assert fetch(client, f"/cohorts/{code}/portfolios/{owner_id}/files/{plan_id}") == (200, PDF)
    assert client.get(f"/cohorts/{code}/portfolios/{outsider_enrolment}").status_code == 404
    assert client.get(f"/cohorts/{code}/portfolio").status_code == 403  # staff keep no portfolio here
    tabs = client.get(f"/cohorts/{code}/portfolios").get_data(as_text=True)
    assert f'href="/cohorts/{code}/portfolios"' in tabs and f'href="/cohorts/{code}/portfolio"' not in tabs
