"""Discussions for `lms demo`: in each demo cohort with participants, a trainer's pinned
welcome thread and a participant's question answered by the trainer; in the network of each of
their programmes, a pinned welcome and a question from one cohort answered from another.
Idempotent: a cohort or network that has discussions is left as it is."""
from __future__ import annotations

from sqlalchemy import select

from lms.community.models import Thread
from lms.community.services import discussions as service
from lms.community.services.places import network_place
from lms.core.services import users as user_service
from lms.courses.models import Cohort, Enrolment, Programme
from lms.db import db

WELCOME = ("Қош келдіңіздер! / Добро пожаловать!",
           "Курс бойынша сұрақтарыңызды осында қойыңыз: тренерлер мен кураторлар жауап береді, "
           "әріптестеріңіз тәжірибесімен бөліседі.\n\n"
           "Задавайте здесь вопросы по курсу: отвечают тренеры и кураторы, коллеги делятся опытом.")
QUESTION = ("Шағын жинақты мектепте бірлескен сабақ / Совмещённый урок в малокомплектной школе",
            "Біріктірілген сыныпта (2 және 4 сынып) бір сабақты қалай жоспарлайсыздар? Тәжірибелеріңізбен бөлісіңіздерші.")
NETWORK_WELCOME = ("Бағдарлама желісі / Сеть программы",
                   "Бұл жерде бағдарламаның барлық топтарының қатысушылары мен түлектері жазады: басқа "
                   "мектептердегі әріптестеріңізден сұраңыз, нәтиже берген тәжірибеңізбен бөлісіңіз.\n\n"
                   "Здесь пишут участники и выпускники всех групп программы: спрашивайте коллег из других "
                   "школ, делитесь тем, что сработало.")
NETWORK_QUESTION = ("Ата-аналарды онлайн жиналысқа қалай тартасыздар? / Как вы привлекаете родителей?",
                    "Ауылда интернет әлсіз, ата-аналардың көбі телефоннан ғана кіреді. Қандай тәсіл жұмыс істеді?")
NETWORK_ANSWER = ("Біз жиналысты WhatsApp-та қысқа аудио хабарламамен бастаймыз, содан кейін 20 минуттық "
                  "қоңырау жасаймыз: байланыс әлсіз болса да барлығы қатыса алады.")
ANSWER = ("Ортақ тақырыпты таңдап, әр сыныпқа өз деңгейіндегі тапсырма беріңіз; өзіндік жұмыс кезінде "
          "екінші сыныппен тікелей жұмыс жасаңыз. Модуль 2-нің материалында үлгі бар.")


def on_demo_built(sender, summary: list[str], **_kw) -> None:
    trainer = user_service.get_by_email("trainer@demo.test")
    if trainer is None:
        return
    cohorts = db.session.scalars(select(Cohort).where(Cohort.code.startswith("DEMO-")).order_by(Cohort.code))
    for cohort in cohorts:
        if db.session.scalar(select(Thread.id).where(Thread.cohort_id == cohort.id).limit(1)):
            continue
        asker = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                          Enrolment.status != "withdrawn").order_by(Enrolment.id))
        if asker is None:
            continue
        welcome = service.start_thread(cohort, {"title": WELCOME[0], "body": WELCOME[1]}, trainer)
        service.set_flag(welcome, "pinned", True, trainer)
        question = service.start_thread(cohort, {"title": QUESTION[0], "body": QUESTION[1]}, asker.user)
        service.reply(question, {"body": ANSWER}, trainer)
        summary.append(f"cohort {cohort.code}: 2 discussions")
    _network_demo(trainer, summary)


def _network_demo(trainer, summary: list[str]) -> None:
    """Two participants of different demo cohorts of one programme talk in its network."""
    rows = db.session.execute(
        select(Programme.code, Cohort.id, Enrolment).join(Cohort, Cohort.programme_id == Programme.id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Cohort.code.startswith("DEMO-"), Enrolment.status != "withdrawn").order_by(Cohort.code, Enrolment.id))
    first_of: dict[str, dict[int, Enrolment]] = {}  # programme code -> cohort id -> its first participant
    for code, cohort_id, enrolment in rows:
        first_of.setdefault(code, {}).setdefault(cohort_id, enrolment)
    for code, by_cohort in first_of.items():
        place = network_place(code)
        if db.session.scalar(select(Thread.id).where(place.threads_where()).limit(1)):
            continue
        people = [e.user for e in by_cohort.values()]
        welcome = service.start_thread(place, {"title": NETWORK_WELCOME[0], "body": NETWORK_WELCOME[1]}, trainer)
        service.set_flag(welcome, "pinned", True, trainer)
        question = service.start_thread(place, {"title": NETWORK_QUESTION[0], "body": NETWORK_QUESTION[1]}, people[0])
        service.reply(question, {"body": NETWORK_ANSWER}, people[-1] if len(people) > 1 else trainer)
        summary.append(f"network {place.code}: 2 discussions")
