"""The staff's confidentiality obligation asks a cohort's trainer, not its participants."""
from lms.core.services import policies
from lms.db import db


def test_a_cohorts_trainer_is_asked_to_accept_the_obligation_and_its_participant_is_not(app, client, auth, make):
    trainer = make.user(email="pol-trainer@test.kz")
    make.cohort(code="POL-1", participants=1, trainer=trainer)  # trainer of this cohort only
    with app.test_request_context():
        policies.publish("confidentiality", {"title_kk": "Міндеттеме", "title_ru": "Обязательство",
                                             "text_kk": "Мәтін", "text_ru": "Текст"}, None)
        db.session.commit()
    auth.login("pol-1-p01@test.kz")
    assert client.get("/profile").status_code == 200
    auth.logout()
    auth.login("pol-trainer@test.kz")
    assert client.get("/profile").headers["Location"].startswith("/policies/accept")
