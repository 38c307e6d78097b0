"""The administrators' page on the Learning Record Store, in Kazakh: what waits, the LRS's last
refusal, and "Send now"; nobody else sees it."""
from sqlalchemy import select, update

from lms.xapi.models import XapiStatement
from tests.xapi.test_statements import _attended


def test_only_an_administrator_sees_the_page_and_it_says_when_no_lrs_is_set(app, client, auth, make, db_session):
    make.user("admin", email="xapi-admin@test.kz")
    make.user("trainer", email="xapi-tr@test.kz")
    db_session.commit()
    auth.login("xapi-tr@test.kz")
    assert client.get("/admin/xapi").status_code == 403
    assert client.post("/admin/xapi/send").status_code == 403
    assert 'href="/admin/xapi"' not in client.get("/").text
    auth.logout()
    auth.login("xapi-admin@test.kz")
    page = client.get("/admin/xapi").text
    assert 'href="/admin/xapi"' in page and 'id="xapi-off"' in page
    assert "Оқу жазбаларының қоймасы көрсетілмеген" in page


def test_an_administrator_sees_the_refusal_and_sends_again(app, client, auth, make, db_session, lrs):
    _attended(app, make, "XAPI-V", ("present", None))
    make.user("admin", email="xapi-admin2@test.kz")
    db_session.commit()
    auth.login("xapi-admin2@test.kz")
    page = client.get("/admin/xapi").text
    assert lrs.url in page and "Жіберуді күтуде</dt><dd>1</dd>" in page.replace("\n", "")

    lrs.status = 503
    page = client.post("/admin/xapi/send", follow_redirects=True).text
    assert "қойма 1 жазбаны қабылдамады" in page and "the LRS answered 503" in page
    assert 'id="xapi-refusal"' in page and "кемінде бір рет қабылданбағаны: 1" in page

    lrs.status = 200
    db_session.execute(update(XapiStatement).values(next_try_at=None))  # its wait is over
    db_session.commit()
    page = client.post("/admin/xapi/send", follow_redirects=True).text
    assert "Жіберілген жазбалар: 1." in page and 'id="xapi-refusal"' not in page
    assert db_session.scalars(select(XapiStatement.sent_at)).one() is not None and len(lrs.received) == 2
