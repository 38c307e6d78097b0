import re

from lms.courses import services


def _cells(html: str, fmt: str, row: str) -> dict:
    section = html.split(f'id="plan-{fmt}"', 1)[1].split("</section>", 1)[0]
    tr = section.split(f'data-row="{row}"', 1)[1].split("</tr>", 1)[0]
    return {k: v.strip() for k, v in re.findall(r'data-kind="(\w+)">([^<]*)', tr)}


def test_leaders_programme_page_shows_the_seed_totals_in_kazakh(client, auth, make):
    trainer = make.user("trainer")
    auth.login(trainer.email)
    html = client.get("/programmes/LDR-SUS").get_data(as_text=True)
    assert '<html lang="kk">' in html
    assert "Шағын жинақты мектепті басқарудағы цифрлық шешімдер" in html
    assert [_cells(html, "online", f"module-{n}")["total"] for n in (1, 2, 3, 4)] == ["10", "46", "16", "6"]
    assert _cells(html, "online", "total") == {"webinar": "38", "defense": "2", "testing": "",
                                               "self_study": "40", "total": "80"}
    assert _cells(html, "full_time", "total")["lesson"] == "78"


def test_teachers_page_shows_its_own_totals(client):
    html = client.get("/programmes/TCH-SUS").get_data(as_text=True)
    assert _cells(html, "online", "total") == {"webinar": "36", "defense": "4", "testing": "2",
                                               "self_study": "38", "total": "80"}
    assert [_cells(html, "online", f"module-{n}")["total"] for n in (1, 2, 3)] == ["14", "60", "4"]


def test_ldr_dt_shows_eight_modules_totalling_80(client):
    html = client.get("/programmes/LDR-DT").get_data(as_text=True)
    totals = [_cells(html, "blended", f"module-{n}")["total"] for n in range(1, 9)]
    assert totals == ["10", "10", "12", "12", "10", "12", "6", "8"]
    assert _cells(html, "blended", "total")["total"] == "80"


def test_catalogue_lists_the_three_programmes_in_russian(client):
    client.post("/language", data={"language": "ru"})
    html = client.get("/programmes/").get_data(as_text=True)
    assert '<html lang="ru">' in html
    for code in ("LDR-SUS", "TCH-SUS", "LDR-DT"):
        assert code in html
    assert "Цифровые решения в управлении малокомплектной школой" in html


def test_drafts_are_hidden_from_participants_and_anonymous(client, auth, make, db_session):
    admin = make.user("admin")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    db_session.commit()
    assert client.get(f"/programmes/LDR-DT/v{draft.version}").status_code == 404
    assert "v2" not in client.get("/programmes/").get_data(as_text=True)
    participant = make.user("participant")
    auth.login(participant.email)
    assert client.get(f"/programmes/LDR-DT/v{draft.version}").status_code == 404
    auth.logout()
    auth.login(admin.email)
    assert client.get(f"/programmes/LDR-DT/v{draft.version}").status_code == 200


def test_trainer_authoring_flow(client, auth, make, db_session):
    trainer = make.user("trainer")
    auth.login(trainer.email)
    r = client.post("/programmes/new", data={"code": "PILOT-1", "title_kk": "Сынақ бағдарлама",
                                             "audience": "teachers", "nominal_hours": "80",
                                             "formats": ["online"]})
    assert r.status_code == 302 and r.headers["Location"].endswith("/programmes/PILOT-1/v1")
    r = client.post("/programmes/PILOT-1/v1/modules/new", data={"number": "1", "title_kk": "1-модуль"})
    assert r.status_code == 302
    r = client.post("/programmes/PILOT-1/v1/topics/new?module=1",
                    data={"code": "1.1", "title_kk": "Бірінші тақырып", "hours-online-webinar": "2",
                          "hours-online-self_study": "2", "hours-online-total": "4"})
    assert r.status_code == 302
    r = client.post("/programmes/PILOT-1/v1/topics/1.1/materials/new",
                    data={"title": "Кіріспе", "language": "kk", "body": "# Тақырып\n\nМәтін"})
    assert r.status_code == 302
    html = client.get("/programmes/PILOT-1/v1/topics/1.1").get_data(as_text=True)
    assert "<h1>Тақырып</h1>" in html
    html = client.get("/programmes/PILOT-1/v1").get_data(as_text=True)
    assert _cells(html, "online", "topic-1.1")["total"] == "4"


def test_bad_hours_show_an_error_and_change_nothing(client, auth, make, db_session):
    admin = make.user("admin")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    db_session.commit()
    auth.login(admin.email)
    r = client.post(f"/programmes/LDR-DT/v{draft.version}/topics/1.1/edit",
                    data={"code": "1.1", "title_kk": "Өзгертілген", "hours-blended-theory": "abc"})
    assert r.status_code == 200
    assert "сағат саны емес" in r.get_data(as_text=True)
    db_session.expire_all()
    assert next(t for t in services.get_programme("LDR-DT", draft.version).topics
                if t.code == "1.1").title_kk != "Өзгертілген"


def test_editing_an_approved_programme_is_refused_and_offers_a_new_version(client, auth, make):
    trainer = make.user("trainer")
    auth.login(trainer.email)
    r = client.post("/programmes/LDR-SUS/v1/edit", data={"title_kk": "Басқа атау", "audience": "leaders",
                                                         "nominal_hours": "80"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "create a new version" in html.lower() or "жаңа нұсқа" in html.lower()
    r = client.post("/programmes/LDR-SUS/v1/new-version")
    assert r.status_code == 302 and r.headers["Location"].endswith("/programmes/LDR-SUS/v2")


def test_programme_page_runs_a_bounded_number_of_queries(client, count_queries):
    client.get("/programmes/LDR-DT")  # warm-up
    with count_queries() as q:
        assert client.get("/programmes/LDR-DT").status_code == 200
    assert len(q) <= 6, q


def test_participant_programme_page_is_light(client, auth, make):
    participant = make.user("participant")
    auth.login(participant.email)
    html = client.get("/programmes/LDR-SUS").get_data()
    with client.get("/static/lms.css") as response:
        css = response.get_data()
    assert len(html) + len(css) <= 60 * 1024


def test_a_material_carries_its_presentation_into_the_page_the_pack_and_the_next_version(
        app, client, auth, make, db_session, tmp_path, monkeypatch):
    """The seeds' teaching kit holds presentations and lesson plans: a trainer attaches one to a
    material; readers of the topic download it, the module's offline ZIP carries it, a program
    renamed .pptx is refused, and a new programme version keeps it."""
    import io
    import zipfile

    from lms.courses.models import Material

    from sqlalchemy import select

    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    admin = make.user("admin", language="en")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    db_session.commit()
    auth.login(admin.email)
    url = f"/programmes/LDR-DT/v{draft.version}/topics/1.1/materials/new"
    slides = b"PK\x03\x04" + b"slides" * 100
    r = client.post(url, content_type="multipart/form-data", data={
        "title": "Слайдтар", "language": "kk", "body": "Кіріспе",
        "file": (io.BytesIO(b"MZ\x90\x00program"), "slides.pptx")})
    assert r.status_code == 200 and "not of that type" in r.text
    r = client.post(url, content_type="multipart/form-data", data={
        "title": "Слайдтар", "language": "kk", "body": "Кіріспе", "file": (io.BytesIO(slides), "Слайдтар 1.1.pptx")})
    assert r.status_code == 302
    material = db_session.scalar(select(Material).where(Material.title == "Слайдтар"))
    page = client.get(f"/programmes/LDR-DT/v{draft.version}/topics/1.1").text
    link = f"/programmes/LDR-DT/v{draft.version}/topics/1.1/materials/{material.id}/file"
    assert link in page and "Слайдтар 1.1.pptx" in page
    with client.get(link) as download:
        assert download.data == slides and download.headers["X-Content-Type-Options"] == "nosniff"
    pack = zipfile.ZipFile(io.BytesIO(client.get(f"/programmes/LDR-DT/v{draft.version}/modules/1/pack.zip").data))
    attached = [n for n in pack.namelist() if n.endswith(".pptx")]
    assert len(attached) == 1 and pack.read(attached[0]) == slides
    # the next version keeps the file
    services.approve(db_session.get(type(draft), draft.id), admin)
    newer = services.new_version(db_session.get(type(draft), draft.id), admin)
    db_session.commit()
    kept = next(m for t in newer.topics for m in t.materials if m.title == "Слайдтар")
    assert kept.file_id == material.file_id


def test_a_trainers_guide_is_read_by_the_programmes_staff_only(app, client, auth, make, db_session, tmp_path,
                                                                monkeypatch):
    """Seed 004 §7 names a trainer's guide and lesson scenarios beside the participants'
    materials: a material for the trainers only stays off the public topic page, its file and
    the offline packs, and shows to those who author and run the programme."""
    import io
    import zipfile

    from sqlalchemy import select

    from lms.courses.models import Material

    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    admin = make.user("admin", language="en")
    participant = make.user("participant", email="guide-reader@test.kz")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    db_session.commit()
    auth.login(admin.email)
    base = f"/programmes/LDR-DT/v{draft.version}"
    for title, audience in (("Тыңдаушыға", "all"), ("Тренерге нұсқаулық", "staff")):
        r = client.post(f"{base}/topics/1.1/materials/new", content_type="multipart/form-data", data={
            "title": title, "language": "kk", "body": f"{title} мәтіні", "audience": audience,
            "file": (io.BytesIO(b"%PDF-1.4 " + title.encode()), f"{audience}.pdf")})
        assert r.status_code == 302
    guide = db_session.scalar(select(Material).where(Material.title == "Тренерге нұсқаулық"))
    assert "Тренерге нұсқаулық" in client.get(f"{base}/topics/1.1").text
    services.approve(db_session.get(type(draft), draft.id), admin)
    db_session.commit()
    auth.logout()
    for who in (None, participant.email):
        if who:
            auth.login(who)
        page = client.get(f"{base}/topics/1.1").text
        assert "Тыңдаушыға" in page and "Тренерге нұсқаулық" not in page
        assert client.get(f"{base}/topics/1.1/materials/{guide.id}/file").status_code == 404
        pack = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/modules/1/pack.zip").data))
        assert not any("staff" in n or "нұсқаулық" in n for n in pack.namelist())
        assert "Тренерге" not in pack.read(next(n for n in pack.namelist() if n.endswith("index.html"))).decode()
    auth.logout()
    auth.login(admin.email)
    with client.get(f"{base}/topics/1.1/materials/{guide.id}/file") as r:
        assert r.status_code == 200
