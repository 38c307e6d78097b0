"""Every page the demo's people can reach answers without a server error.

The demo (`lms demo`) holds the states real cohorts go through: courses running and finished,
tests taken and not, defenses unscored, hours incomplete, a support year under way. A page
that breaks on one of those states (the certificates page did, on incomplete hours) is found
here by following links as each demo role would, on the suite's own database."""
from __future__ import annotations

import html
import re
from collections import Counter

import pytest

HREF = re.compile(r'href="(/[^"#]*)')
#: one page per route shape (ids replaced, the query's names kept, not its values), so a hundred
#: attempts or a bank's filters cost one visit
ID = re.compile(r"(?<=/)\d+(?=/|$|\.)")


def shape(url: str) -> str:
    path, _q, query = url.partition("?")
    return ID.sub("N", path) + "?" + ",".join(sorted({p.partition("=")[0] for p in query.split("&") if p}))
#: the actions a link may start (sign-out) are POST forms, never links; nothing else is skipped
PEOPLE = {
    "admin@demo.test": ["/", "/admin/users", "/admin/audit", "/rubrics", "/banks"],
    "trainer@demo.test": ["/", "/cohorts/", "/banks"],
    "curator@demo.test": ["/", "/cohorts/"],
    "assessor1@demo.test": ["/"],
    "participant54@demo.test": ["/", "/cohorts/mine", "/cohorts/DEMO-LDR-DT/me/tests"],
    "participant78@demo.test": ["/", "/cohorts/mine"],
    "graduate04@demo.test": ["/", "/cohorts/mine"],
}


@pytest.fixture
def demo(runner, db_session):
    for args in (["bank", "load", "content/banks", "--quiet"], ["demo"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def _crawl(client, start: list[str], limit: int = 1000) -> tuple[Counter, list[str]]:
    """Follows the links (and redirects) of each page: the 5xx answers, and the links that
    answer 403, which a page should not have shown."""
    seen, statuses, broken = set(), Counter(), []
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if shape(url) in seen:
            continue
        seen.add(shape(url))
        response = client.get(url)
        statuses[response.status_code // 100 * 100] += 1
        if response.status_code >= 500 or response.status_code == 403:
            broken.append(f"{url} {response.status_code}")
        if response.status_code in (301, 302, 303) and response.location.startswith("/"):
            queue.append(response.location)
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(html.unescape(h) for h in HREF.findall(response.get_data(as_text=True)))
        response.close()  # files are streamed
    return statuses, broken


@pytest.mark.parametrize("email", sorted(PEOPLE))
def test_no_page_the_demo_people_reach_fails(app, client, demo, email):
    response = client.post("/login", data={"email": email, "password": "demo"})
    assert response.status_code == 302, email
    statuses, broken = _crawl(client, PEOPLE[email])
    assert broken == []
    assert statuses[200] >= 10, statuses  # the crawl really went through the pages


def test_the_demo_graduates_plans_show_their_competences(client, demo, db_session):
    from sqlalchemy import select

    from lms.courses.models import Cohort, Enrolment
    from lms.postcourse.models import SupportPlan

    plan_id = db_session.scalars(select(SupportPlan.id).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
                                 .join(Cohort, Cohort.id == Enrolment.cohort_id)
                                 .where(Cohort.code == "DEMO-LDR-DT-2025").order_by(SupportPlan.id)).first()
    client.post("/login", data={"email": "curator@demo.test", "password": "demo"})
    page = client.get(f"/cohorts/DEMO-LDR-DT-2025/support/plans/{plan_id}").text
    table = page.split('id="competence-profile"')[1].split("</table>")[0]
    assert table.count("<tr data-competence=") == 6  # the framework's six, each at both stages
    # a 20-item draw may leave a competence or two unasked at one stage ("—"): the 20 graduates of
    # a demo had 4 to 6 of the 6 measured at each stage
    for stage in ("diagnostic", "final"):
        assert len(re.findall(f'data-stage="{stage}">[0-9.]+ %</td>', table)) >= 3, stage
