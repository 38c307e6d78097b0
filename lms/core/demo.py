"""Demo data for a newcomer: accounts for every role, a region with rural schools.

Idempotent: existing rows are kept; the password 'demo' is only ever set here,
and only when an account is created."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lms.core.models import District, PolicyAcceptance, Region, School, User
from lms.core.services import policies
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


#: the demo centre's policies (seed 002 §5: the law on personal data; staff accept their duty
#: of confidentiality voluntarily, knowing the liability)
DEMO_POLICIES = {
    "privacy": {
        "title_kk": "Дербес деректерді қорғау туралы хабарлама",
        "title_ru": "Уведомление о защите персональных данных",
        "text_kk": (
            "Біліктілікті арттыру орталығы сіздің дербес деректеріңізді Қазақстан Республикасының «Дербес деректер"
            " және оларды қорғау туралы» Заңына сәйкес өңдейді.\n\n"
            "- **Не сақталады:** аты-жөніңіз, электрондық поштаңыз, мектебіңіз бен лауазымыңыз, сабаққа"
            " қатысуыңыз, тапсырған жұмыстарыңыз, тест нәтижелеріңіз, сертификаттарыңыз және курстан кейінгі"
            " қолдау жоспарыңыз.\n"
            "- **Кім көреді:** тек жұмысы үшін қажет адамдар: тобыңыздың тренерлері, кураторы, сарапшылары және"
            " орталық әкімшісі.\n"
            "- **Сіздің құқықтарыңыз:** профиліңізден өзіңіз туралы барлық деректерді жүктей аласыз; қатені"
            " түзетуді немесе деректерді жоюды орталықтан сұрай аласыз."),
        "text_ru": (
            "Центр повышения квалификации обрабатывает ваши персональные данные в соответствии с Законом"
            " Республики Казахстан «О персональных данных и их защите».\n\n"
            "- **Что хранится:** ФИО, электронная почта, школа и должность, посещаемость, сданные работы,"
            " результаты тестов, сертификаты и план сопровождения после курса.\n"
            "- **Кто видит:** только те, кому это нужно для работы: тренеры, куратор и эксперты вашей группы и"
            " администратор центра.\n"
            "- **Ваши права:** в профиле можно скачать все данные о себе; исправить ошибку или удалить данные"
            " можно по запросу в центр."),
    },
    "confidentiality": {
        "title_kk": "Құпиялылық міндеттемесі",
        "title_ru": "Обязательство о конфиденциальности",
        "text_kk": (
            "Орталық қызметкері ретінде мен:\n\n"
            "- қатысушылардың дербес деректерін жария етпеуге және оларды тек жұмыс үшін пайдалануға;\n"
            "- құжаттар мен бағаларды рұқсатсыз жоймауға және бұрмаламауға міндеттенемін.\n\n"
            "Деректерді қорғау ережелерін бұзғаны үшін жауапкершілік көзделетінін білемін және бұл шектеулерді"
            " өз еркіммен қабылдаймын."),
        "text_ru": (
            "Как сотрудник центра я обязуюсь:\n\n"
            "- не разглашать персональные данные участников и использовать их только для работы;\n"
            "- не уничтожать и не искажать документы и оценки без разрешения.\n\n"
            "Я знаю, что за нарушение правил защиты данных предусмотрена ответственность, и принимаю эти"
            " ограничения добровольно."),
    },
}


def _demo_policies() -> str:
    """Publishes the demo policies once; the demo accounts have accepted them (a tour starts on
    the pages, not on the question)."""
    if policies.current():
        return "demo policies: already published"
    published = [policies.publish(kind, fields, None) for kind, fields in DEMO_POLICIES.items()]
    people = db.session.scalars(select(User).where(User.email.like("%@demo.test"))).all()
    for user in people:
        for policy in published:
            if policies.applies_to(policy, user):
                db.session.add(PolicyAcceptance(policy_id=policy.id, user_id=user.id))
        user.policies_agreed = True
    db.session.flush()
    return f"demo policies: {len(published)} published (admin: /admin/policies), accepted by the demo accounts"


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
    summary.append(_demo_policies())  # after the plugins: the staff roles they give decide who accepts what
    return summary
