"""Offline packs: a module's materials as PDF (Kazakh letters intact) and ZIP."""
import io
import zipfile

from pypdf import PdfReader

from lms.courses import services

KAZAKH = "Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі"


def _approved_with_material(make, db_session):
    admin = make.user("admin")
    draft = services.new_version(services.get_programme("LDR-DT"), admin)
    topic = next(t for t in draft.topics if t.code == "1.1")
    services.save_material(topic, {"title": "Кіріспе дәріс", "body": f"## Әріптер\n\n{KAZAKH}\n\n- бірінші\n- **екінші**"
                                                              "\n\n<script>alert(1)</script>"}, admin)
    services.approve(draft, admin)
    db_session.commit()
    return draft.version


def _text(pdf: bytes) -> str:
    return "\n".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_module_pdf_renders_every_kazakh_letter(client, make, db_session):
    version = _approved_with_material(make, db_session)
    with client.get(f"/programmes/LDR-DT/v{version}/modules/1/pack.pdf") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        text = _text(r.get_data())
    assert KAZAKH in text
    assert "Кіріспе дәріс" in text and "1.1." in text
    assert "alert(1)" not in text


def test_module_zip_holds_pdf_markdown_and_html(client, make, db_session):
    version = _approved_with_material(make, db_session)
    with client.get(f"/programmes/LDR-DT/v{version}/modules/1/pack.zip") as r:
        z = zipfile.ZipFile(io.BytesIO(r.get_data()))
    names = z.namelist()
    assert any(n.endswith(".pdf") for n in names) and any(n.endswith("index.html") for n in names)
    md = next(n for n in names if n.endswith(".md"))
    assert KAZAKH in z.read(md).decode("utf-8")
    assert "<script" not in z.read(next(n for n in names if n.endswith("index.html"))).decode("utf-8")


def test_unknown_module_or_format_is_404(client):
    assert client.get("/programmes/LDR-DT/v1/modules/99/pack.pdf").status_code == 404
    assert client.get("/programmes/LDR-DT/v1/modules/1/pack.exe").status_code == 404
