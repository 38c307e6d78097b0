import pytest

from lms.core.services.errors import Conflict, ReadOnly, ServiceError
from lms.courses import services


def test_hour_plan_of_leaders_online_matches_the_seed(db_session):
    p = services.get_programme("LDR-SUS")
    plan = services.hour_plan(p, "online")
    modules = {r.code: r.cells["total"] for r in plan.rows if r.kind == "module"}
    assert modules == {"1": 10, "2": 46, "3": 16, "4": 6}
    assert plan.totals == {"webinar": 38, "defense": 2, "self_study": 40, "total": 80}
    assert plan.format.kinds == ["webinar", "defense", "testing", "self_study"]


def test_approved_programme_is_read_only(make, db_session):
    trainer = make.user("trainer")
    p = services.get_programme("LDR-SUS")
    with pytest.raises(ReadOnly):
        services.update_programme(p, {"title_kk": "Өзгерген"}, trainer)
    with pytest.raises(ReadOnly):
        services.save_topic(p, p.modules[0], {"code": "1.9", "title_kk": "Жаңа"}, trainer)


def test_new_version_is_a_draft_copy_with_materials(make, db_session):
    trainer = make.user("trainer")
    p = services.get_programme("LDR-SUS")
    topic = next(t for t in p.topics if t.code == "1.1")
    topic.programme.status = "draft"
    services.save_material(topic, {"title": "Нормативтік құжаттар", "body": "**Маңызды**"}, trainer)
    topic.programme.status = "approved"
    draft = services.new_version(p, trainer)
    assert (draft.version, draft.status) == (2, "draft")
    assert services.programme_to_data(draft) | {"version": 1, "status": "approved"} == services.programme_to_data(p)
    copied = next(t for t in draft.topics if t.code == "1.1").materials
    assert [m.title for m in copied] == ["Нормативтік құжаттар"]
    # a second request returns the same draft rather than piling up versions
    assert services.new_version(p, trainer) is draft
    # the draft is editable; the approved version is untouched
    services.save_topic(draft, draft.modules[0], {"code": "1.5", "title_kk": "Жаңа тақырып",
                                                  "hours-online-webinar": "1"}, trainer)
    assert "1.5" not in {t.code for t in p.topics}


def test_approving_archives_the_previous_version(make, db_session):
    admin = make.user("admin")
    p = services.get_programme("TCH-SUS")
    draft = services.new_version(p, admin)
    services.approve(draft, admin)
    assert (p.status, draft.status) == ("archived", "approved")
    assert services.get_programme("TCH-SUS").version == 2
    with pytest.raises(Conflict):
        services.approve(draft, admin)


def test_topic_hours_are_validated(make, db_session):
    admin = make.user("admin")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    with pytest.raises(ServiceError) as exc:
        services.save_topic(draft, draft.modules[0], {"code": "1.9", "title_kk": "Т",
                                                      "hours-blended-theory": "екі"}, admin)
    assert exc.value.field == "hours-blended-theory"
    with pytest.raises(Conflict):
        services.save_topic(draft, draft.modules[0], {"code": "1.1", "title_kk": "Т"}, admin)
    topic = services.save_topic(draft, draft.modules[0], {"code": "1.9", "title_kk": "Т",
                                                          "hours-blended-theory": "1,5"}, admin)
    assert topic.hours == {"blended": {"theory": 1.5}}


def test_material_markdown_is_sanitized(make, db_session):
    admin = make.user("admin")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    m = services.save_material(draft.topics[0], {"title": "Т", "body": "Сәлем <script>alert(1)</script>"
                                                 " [x](javascript:alert(1)) **қалың**"}, admin)
    assert "<script" not in m.body_html and "alert(1)</" not in m.body_html
    assert "javascript:" not in m.body_html
    assert "<strong>қалың</strong>" in m.body_html


def test_create_programme_validates(make, db_session):
    trainer = make.user("trainer")
    with pytest.raises(ServiceError) as exc:
        services.create_programme({"code": "bad code", "title_kk": "Т"}, trainer)
    assert exc.value.field == "code"
    with pytest.raises(Conflict):
        services.create_programme({"code": "LDR-SUS", "title_kk": "Т"}, trainer)
    p = services.create_programme({"code": "NEW-1", "title_kk": "Жаңа бағдарлама", "audience": "teachers",
                                   "formats": ["online", "full_time"]}, trainer)
    assert p.status == "draft" and [f.code for f in p.formats] == ["online", "full_time"]
