"""Discussions for `lms demo`: in each demo cohort with participants, a trainer's pinned
welcome thread and a participant's question answered by the trainer. Idempotent: a cohort
that has discussions is left as it is."""
from __future__ import annotations

from sqlalchemy import select

from lms.community.models import Thread
from lms.community.services import discussions as service
from lms.core.services import users as user_service
from lms.courses.models import Cohort, Enrolment
from lms.db import db

WELCOME = ("Қош келдіңіздер! / Добро пожаловать!",
           "Курс бойынша сұрақтарыңызды осында қойыңыз: тренерлер мен кураторлар жауап береді, "
           "әріптестеріңіз тәжірибесімен бөліседі.\n\n"
           "Задавайте здесь вопросы по курсу: отвечают тренеры и кураторы, коллеги делятся опытом.")
QUESTION = ("Шағын жинақты мектепте бірлескен сабақ / Совмещённый урок в малокомплектной школе",
            "Біріктірілген сыныпта (2 және 4 сынып) бір сабақты қалай жоспарлайсыздар? Тәжірибелеріңізбен бөлісіңіздерші.")
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
