"""Demo data for a newcomer: accounts for every role, a region with rural schools.

Idempotent: existing rows are kept; the password 'demo' is only ever set here,
and only when an account is created."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lms.core.models import District, Region, School, User
from lms.core.services import users as user_service
from lms.db import db
from lms.signals import demo_built, demo_requested

DEMO_PASSWORD = "demo"


STAFF = [
    ("admin@demo.test", "Әкімші Демо", "admin"),
    ("trainer@demo.test", "Тренер Айгүл Сейітқызы", "trainer"),
    ("curator@demo.test", "Куратор Нұрлан Әбілқайырұлы", "curator"),
    ("assessor1@demo.test", "Сарапшы Гүлнар Жұмабаева", "assessor"),
    ("assessor2@demo.test", "Сарапшы Ерлан Қасымов", "assessor"),
    ("assessor3@demo.test", "Сарапшы Динара Өмірзақова", "assessor"),
]
FIRST = ["Айгерім", "Бауыржан", "Гүлмира", "Дәурен", "Ержан", "Жанар", "Зарина", "Ілияс", "Қайрат",
         "Ләззат", "Мәди", "Нұргүл", "Өркен", "Перизат", "Рүстем"]
LAST = ["Әбдірахманов", "Бекова", "Ғабитов", "Досова", "Жақыпов", "Исаева", "Құрманов", "Мұратова",
        "Нұрланов", "Оспанова", "Сүлейменов", "Төлеубаева", "Үсенов", "Шәріпова", "Ықсанов"]
SCHOOLS = [
    ("SKO-001", "Қызылжар ауданы, Бесқарағай ШЖМ", "small_ungraded", "kk", 2.0),
    ("SKO-002", "Қызылжар ауданы, Соколовка тірек мектебі", "hub", "ru", 8.0),
    ("SKO-003", "Есіл ауданы, Ақсу ШЖМ", "small_ungraded", "kk", 1.5),
    ("SKO-004", "Есіл ауданы, Ильинка ШЖМ", "small_ungraded", "mixed", 3.0),
    ("SKO-005", "Айыртау ауданы, Арықбалық магнитті мектебі", "magnet", "kk", 20.0),
]


#: participant01..85: 01-75 fill the three running demo cohorts, 76-85 the finished one (portfolio)
PARTICIPANTS = 85


def participant_email(n: int) -> str:
    return f"participant{n:02d}@demo.test"


def _get_or_create_user(email: str, name: str, school=None, position=None) -> tuple[User, bool]:
    user = user_service.get_by_email(email)
    if user:
        return user, False
    return user_service.create_user(email, name, DEMO_PASSWORD, school=school, position=position), True


def create_demo() -> list[str]:
    region = db.session.scalar(select(Region).where(Region.code == "SKO"))
    if region is None:
        region = Region(code="SKO", name_kk="Солтүстік Қазақстан облысы", name_ru="Северо-Казахстанская область",
                        name_en="North Kazakhstan Region")
        db.session.add(region)
    districts = {d.name_kk: d for d in region.districts}
    schools = []
    for code, name, kind, lang, mbps in SCHOOLS:
        district_name = name.split(",")[0]
        district = districts.get(district_name)
        if district is None:
            district = District(region=region, name_kk=district_name)
            db.session.add(district)
            districts[district_name] = district
        school = db.session.scalar(select(School).where(School.code == code))
        if school is None:
            school = School(code=code, district=district, name_kk=name, school_type=kind,
                            instruction_language=lang, internet_mbps=mbps)
            db.session.add(school)
        schools.append(school)
    db.session.flush()

    created = 0
    for email, name, role in STAFF:
        user, new = _get_or_create_user(email, name)
        created += new
        user_service.assign_role(user, role)
    for n in range(1, PARTICIPANTS + 1):
        # 15 surnames x 15 first names, shifted per block of 15, so all names differ
        name = f"{LAST[n % len(LAST)]} {FIRST[(n + n // len(LAST)) % len(FIRST)]}"
        user, new = _get_or_create_user(participant_email(n), name, school=schools[n % len(schools)],
                                        position="director" if (n <= 50 or n > 75) and n % 2 else "teacher")
        created += new
    db.session.flush()
    summary = [f"demo accounts: {created} created, password '{DEMO_PASSWORD}' (admin@demo.test, trainer@demo.test,"
               f" curator@demo.test, assessor1-3@demo.test, participant01-{PARTICIPANTS}@demo.test)"]
    # plugins build on each other's demo data (tests need the cohorts), so their receivers
    # run in dependency order rather than blinker's unordered send
    for wanted in (demo_requested, demo_built):
        for plugin in current_app.extensions["lms_plugins"].values():
            for signal, receiver in plugin.listeners:
                if signal is wanted:
                    receiver(None, summary=summary)
    return summary
