"""Support-year reports: the numbers are the records' numbers, per cohort, region and
programme and only within what the user may see; CSV with BOM, XLSX, a PDF with Kazakh text."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime, timezone

import pytest

from lms.postcourse.models import Contact, Evidence, PlanActivity, SupportPlan
from lms.postcourse.services import reports
from lms.db import db
from tests.postcourse.test_dashboard import _cohort_with_plans, _school


def _add(plan: SupportPlan, contacts=(), evidence=(), activities=()) -> None:
    for channel, group in contacts:
        db.session.add(Contact(plan_id=plan.id, happened_at=datetime(2026, 3, 1, 6, tzinfo=timezone.utc),
                               channel=channel, group=group, topic="Кеңес"))
    for kind, level in evidence:
        db.session.add(Evidence(plan_id=plan.id, kind=kind, level=level, title="Мақала", url="https://example.kz/a",
                                happened_on=date(2026, 4, 1)))
    for stage, status in activities:
        db.session.add(PlanActivity(plan_id=plan.id, activity_type="seminar", title="Семинар", stage=stage,
                                    due_on=date(2026, 4, 30), status=status,
                                    done_on=date(2026, 4, 20) if status == "done" else None))


@pytest.fixture
def two_cohorts(make, db_session):
    """REP-A (LDR-DT, North Kazakhstan): 3 plans; REP-B (LDR-SUS, Turkistan): 2 plans."""
    north, south = _school("REP-N", "SKO", "Есіл ауданы"), _school("REP-S", "TRK", "Сайрам ауданы")
    a, pa = _cohort_with_plans(make, "REP-A", [[("2026-02-05", "done")], [("2026-02-05", "planned")], []],
                               school=north)
    b, pb = _cohort_with_plans(make, "REP-B", [[("2026-02-05", "done")], [("2026-05-05", "cancelled")]],
                               school=south, programme="LDR-SUS", model="LDR-SUS")
    pa[0].status, pa[1].status, pa[2].status = "draft", "accepted", "closed"
    pb[0].status, pb[1].status = "draft", "draft"
    _add(pa[0], contacts=[("telegram", False), ("telegram", True), ("zoom", False)],
         evidence=[("publication", "district"), ("publication", "district"), ("talk", "regional")],
         activities=[("reflection", "planned"), ("organisational", "done")])
    _add(pa[1], contacts=[("telegram", False)], evidence=[("contest", "republican")])
    _add(pb[0], contacts=[("whatsapp", False), ("telegram", False)], evidence=[("publication", "school")],
         activities=[("implementation", "done")])
    db_session.commit()
    return a, b


def test_numbers_match_the_records_per_cohort_region_and_programme(app, make, two_cohorts):
    a, b = two_cohorts
    admin = make.user("admin")
    with app.app_context():
        ra = reports.build(admin, reports.Scope(cohort="REP-A"))
        assert ra.plans == {"draft": 1, "agreed": 0, "accepted": 1, "closed": 1}
        assert (ra.plans_total, ra.plans_agreed) == (3, 2)
        # the seeded activities: consultations due Feb 5 (implementation) plus the added ones
        assert ra.activities["implementation"] == {"planned": 1, "done": 1, "cancelled": 0}
        assert ra.activities["reflection"] == {"planned": 1, "done": 0, "cancelled": 0}
        assert ra.activities["organisational"] == {"planned": 0, "done": 1, "cancelled": 0}
        assert ra.contacts["telegram"] == {"individual": 2, "group": 1}
        assert ra.contacts["zoom"] == {"individual": 1, "group": 0} and ra.contacts_total == 4
        assert ra.evidence["publication"]["district"] == 2 and ra.evidence["talk"]["regional"] == 1
        assert ra.evidence["contest"]["republican"] == 1 and ra.evidence_total == 4

        trk = reports.build(admin, reports.Scope(region_id=b.enrolments[0].user.school.district.region_id))
        assert trk.plans_total == 2 and trk.plans["draft"] == 2
        assert trk.contacts["whatsapp"]["individual"] == 1 and trk.contacts["telegram"]["individual"] == 1
        assert trk.activities["implementation"] == {"planned": 0, "done": 2, "cancelled": 1}
        assert trk.evidence["publication"]["school"] == 1 and trk.evidence_total == 1

        sus = reports.build(admin, reports.Scope(programme="LDR-SUS", cohort="REP-B"))
        assert sus.plans_total == 2 and sus.contacts_total == 2
        assert reports.build(admin, reports.Scope(programme="LDR-SUS", cohort="REP-A")).plans_total == 0


def test_a_curator_reports_only_on_their_own_cohorts(app, make, two_cohorts):
    a, b = two_cohorts
    curator = make.user("curator", context=("cohort", a.id))
    with app.app_context():
        everything = reports.build(curator, reports.Scope())
        other = reports.build(curator, reports.Scope(cohort="REP-B"))
    assert everything.plans_total == 3 and everything.contacts_total == 4
    assert other.plans_total == 0 and other.contacts_total == 0 and other.evidence_total == 0


def test_report_page_shows_the_numbers(client, auth, make, two_cohorts):
    auth.login(make.user("admin").email)
    html = client.get("/support/reports", query_string={"cohort": "REP-A"}).get_data(as_text=True)
    telegram = re.search(r'data-channel="telegram">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'class="num">(\d+)<', telegram) == ["2", "1", "3"]
    assert re.search(r'data-status="agreed-total"><td>[^<]*</td><td class="num">2<', html)
    assert 'href="/support/reports/report.pdf?cohort=REP-A"' in html


def test_csv_is_utf8_with_bom_and_carries_the_numbers(client, auth, make, two_cohorts):
    auth.login(make.user("admin").email)
    r = client.get("/support/reports/report.csv", query_string={"cohort": "REP-A"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "REP-A" in r.headers["Content-Disposition"]
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert len(rows[0]) == 4
    telegram = [row for row in rows if row[1] == "Telegram"]
    assert [row[3] for row in telegram] == ["2", "1"]  # individual, group


def test_xlsx_opens_with_the_same_rows(client, auth, make, two_cohorts):
    from openpyxl import load_workbook

    auth.login(make.user("admin").email)
    csv_rows = list(csv.reader(io.StringIO(
        client.get("/support/reports/report.csv?cohort=REP-A").get_data()[3:].decode("utf-8"))))
    r = client.get("/support/reports/report.xlsx?cohort=REP-A")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.get_data())).active
    xlsx_rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows


def test_pdf_has_charts_and_extractable_kazakh_text(client, auth, make, two_cohorts):
    from pypdf import PdfReader

    auth.login(make.user("admin").email)
    a, _b = two_cohorts
    region_id = a.enrolments[0].user.school.district.region_id
    r = client.get("/support/reports/report.pdf", query_string={"region": region_id})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.get_data()))
    text = unicodedata.normalize("NFC", " ".join(" ".join(p.extract_text().split()) for p in reader.pages))
    assert "Солтүстік Қазақстан облысы" in text
    assert "Telegram: 3" in text  # the pie's legend: 2 individual + 1 group
    fonts = {f["/BaseFont"] for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()}
    assert any("DejaVuSans" in str(f) for f in fonts)


def test_unknown_format_is_404_and_statements_are_bounded(client, auth, make, two_cohorts, count_queries):
    auth.login(make.user("admin").email)
    assert client.get("/support/reports/report.doc").status_code == 404
    client.get("/support/reports")
    with count_queries() as q:
        assert client.get("/support/reports?cohort=REP-A").status_code == 200
    small = len(q)
    _cohort_with_plans(make, "REP-C", [[("2026-02-05", "done")]] * 40)
    with count_queries() as q:
        assert client.get("/support/reports").status_code == 200
    assert small == len(q) <= 9, (small, len(q))
