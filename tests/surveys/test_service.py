"""Survey rules on SQLite and PostgreSQL: anonymity, thresholds, replacement, eNPS, bad input."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, col, func, select

from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput, PermissionDenied
from bot.store import Store
from directory.models import Department, Person, RoleAssignment
from surveys import answers, common, creation, runs
from surveys.models import QuestionKind, SurveyAnswer, SurveyRun
from surveys.questions import TEMPLATES, QuestionSpec, parse_questions
from surveys.release import NOBODY, released
from surveys.results import RunResults
from surveys.results import run_results as _results
from tests.surveys.attackers import company

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
SECRET = b"test-secret-key"
ADMINS = ("UADMIN",)


def _people(session: Session, departments: dict[str, int]) -> dict[str, list[str]]:
    """Departments of the given sizes (and the admin, in none); their members' ids by handle."""
    return company(session, departments, author=ADMINS[0])


def _launch(
    session: Session,
    clock: FixedClock,
    questions: Sequence[QuestionSpec],
    *,
    threshold: int = 5,
    strong: bool = False,
    anonymous: bool = True,
) -> SurveyRun:
    created = creation.create_survey(
        session=session,
        clock=clock,
        admins=ADMINS,
        author="UADMIN",
        draft=creation.SurveyDraft(
            title="Pulse",
            questions=questions,
            threshold=threshold,
            strong_protection=strong,
            anonymous=anonymous,
        ),
        timezone="UTC",
    )
    launched = runs.launch_run(
        session=session, clock=clock, survey_id=created.survey.id or 0, channel_members=None
    )
    assert isinstance(launched, runs.Launched)
    return launched.run


def _answer(session: Session, clock: FixedClock, run: SurveyRun, user: str, value: str) -> None:
    question = common.questions_of(session=session, survey_id=run.survey_id)[0]
    answers.answer(
        session=session,
        clock=clock,
        secret=SECRET,
        ballot=answers.Ballot(
            run_id=run.id or 0,
            user_id=user,
            values={question.id or 0: value},
            replace_all=False,
        ),
    )


def run_results(*, session: Session, run: SurveyRun) -> RunResults:
    """The run's figures, for a viewer who did not answer."""
    return _results(session=session, run=run, exclusion=NOBODY)


ENPS = [QuestionSpec(QuestionKind.ENPS, "Recommend us?")]
LIKERT = [QuestionSpec(QuestionKind.LIKERT, "I am happy.")]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (["9", "10", "9", "10", "10"], 100.0),
        (["0", "3", "6", "5", "1"], -100.0),
        (["7", "8", "7", "8", "7"], 0.0),
    ],
    ids=["all-promoters", "all-detractors", "only-passives"],
)
def test_enps_is_promoters_minus_detractors(
    store: Store, scores: list[str], expected: float
) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        people = _people(session, {"eng": 5})["eng"]
        run = _launch(session, clock, ENPS)
        for person, score in zip(people, scores, strict=True):
            _answer(session, clock, run, person, score)
        results = run_results(session=session, run=run)
    stats = results.enps_question
    assert stats is not None
    assert stats.enps == expected


def test_second_answer_from_same_person_replaces_the_first(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        people = _people(session, {"eng": 5})["eng"]
        run = _launch(session, clock, LIKERT)
        _answer(session, clock, run, people[0], "1")
        _answer(session, clock, run, people[0], "1")  # a double click
        _answer(session, clock, run, people[0], "5")
        for person in people[1:]:
            _answer(session, clock, run, person, "4")
        values = session.exec(select(SurveyAnswer.value).order_by(col(SurveyAnswer.value))).all()
        results = run_results(session=session, run=run)
    assert values == [4, 4, 4, 4, 5]
    assert results.respondents == 5
    stats = next(iter(results.overall.values()))
    assert stats.favorability == 100.0
    assert stats.distribution == {4: 4, 5: 1}


def test_no_user_id_is_reachable_from_an_answer_row(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        people = _people(session, {"eng": 5})["eng"]
        run = _launch(
            session, clock, [*ENPS, QuestionSpec(QuestionKind.COMMENT, "Why?", required=False)]
        )
        questions = common.questions_of(session=session, survey_id=run.survey_id)
        answers.answer(
            session=session,
            clock=clock,
            secret=SECRET,
            ballot=answers.Ballot(
                run_id=run.id or 0,
                user_id=people[0],
                values={questions[0].id or 0: "9", questions[1].id or 0: "Good place"},
                replace_all=True,
            ),
        )
        rows = session.exec(select(SurveyAnswer)).all()
    columns = {c["name"] for c in inspect(store.engine).get_columns("survey_answer")}
    assert columns == {
        "id",
        "run_id",
        "question_id",
        "respondent",
        "group_id",
        "value",
        "text",
        "sentiment",
    }
    # Nothing in the rows is a person's id, and the token cannot be recomputed without the key.
    for row in rows:
        assert not any(people[0] in str(v) for v in row.model_dump().values())
        assert row.respondent != answers.respondent_token(b"guessed", run.id or 0, people[0])
        assert row.respondent == answers.respondent_token(SECRET, run.id or 0, people[0])
    foreign_keys = inspect(store.engine).get_foreign_keys("survey_answer")
    assert {fk["referred_table"] for fk in foreign_keys} == {"survey_run", "survey_question"}


def test_a_run_below_the_threshold_shows_nothing_not_even_comments(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        people = _people(session, {"eng": 6})["eng"]
        run = _launch(
            session, clock, [*LIKERT, QuestionSpec(QuestionKind.COMMENT, "Why?", required=False)]
        )
        questions = common.questions_of(session=session, survey_id=run.survey_id)
        for person in people[:4]:
            answers.answer(
                session=session,
                clock=clock,
                secret=SECRET,
                ballot=answers.Ballot(
                    run_id=run.id or 0,
                    user_id=person,
                    values={questions[0].id or 0: "2", questions[1].id or 0: "Secret gripe"},
                    replace_all=True,
                ),
            )
        results = run_results(session=session, run=run)
    assert results.suppressed
    assert results.respondents == 4
    assert results.overall == {}
    assert results.comments == []
    assert results.sentiment is None
    assert results.departments == []


def test_a_small_department_is_never_a_group_and_the_rest_never_isolates_one(
    store: Store,
) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        members = _people(session, {"eng": 7, "sales": 6, "hr": 2})
        run = _launch(session, clock, LIKERT, strong=False)
        strong_run = _launch(session, clock, LIKERT, strong=True)
        for people in members.values():
            for person in people:
                _answer(session, clock, run, person, "5" if person.startswith("UHR") else "3")
                _answer(
                    session, clock, strong_run, person, "5" if person.startswith("UHR") else "3"
                )
        normal = run_results(session=session, run=run)
        strong = run_results(session=session, run=strong_run)
        groups = session.exec(
            select(SurveyAnswer.group_id).where(SurveyAnswer.run_id == run.id).distinct()
        ).all()
    # HR (2) and the admin (in no department) are fewer than 5: the smallest department (sales)
    # joins them when answers are written, so no answer says "HR".
    departments = {d.handle: d.id for d in _departments(store)}
    assert set(groups) == {departments["eng"], 0}
    for results in (normal, strong):
        assert {g.name for g in results.departments} == {"Eng", "Other departments"}
        # The total minus the shown groups is empty: nothing left to tell HR apart.
        total = next(iter(results.overall.values()))
        shown = [next(iter(g.questions.values())) for g in results.departments]
        assert total.count - sum(s.count for s in shown) == 0


def _departments(store: Store) -> list[Department]:
    with store.unit_of_work(write=False) as session:
        return list(session.exec(select(Department)).all())


def test_release_rules_hide_until_the_rest_reaches_the_threshold() -> None:
    sizes: dict[int | None, int] = {1: 2, 2: 1, 3: 1, 4: 30, 5: 8}
    assert released(sizes, {}, 5).shown == {4}  # the rest (1, 2, 3) are 4: 5 joins them
    assert released({1: 10, 2: 10}, {}, 5).shown == {1, 2}
    assert released({1: 10, 2: 3, 3: 3}, {}, 5).shown == {1}  # 2 and 3 together are 6
    assert released({1: 5, 2: 5}, {1: 1}, 5).shown == set()  # the viewer is one of group 1
    assert released({1: 2, 2: 2}, {}, 5).suppressed


def test_an_audience_that_resolves_to_nobody_is_refused_and_nothing_is_stored(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        _people(session, {"eng": 3})
        empty = Department(usergroup_id="SEMPTY", handle="empty", name="Empty", synced_at=NOW)
        session.add(empty)
    with pytest.raises(InvalidInput, match="resolves to nobody"), store.unit_of_work() as session:
        creation.create_survey(
            session=session,
            clock=clock,
            admins=ADMINS,
            author="UADMIN",
            draft=creation.SurveyDraft(
                title="Pulse",
                questions=ENPS,
                audience_kind="departments",
                audience_refs=[str(empty.id)],
            ),
            timezone="UTC",
        )
    with store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(SurveyRun)).one() == 0


def test_managers_survey_only_their_own_department(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        members = _people(session, {"eng": 3, "sales": 3})
        manager = members["eng"][0]
        session.add(
            RoleAssignment(person_id=manager, role="manager", assigned_by="UADMIN", assigned_at=NOW)
        )
        departments = {d.handle: d.id for d in session.exec(select(Department)).all()}
    draft = creation.SurveyDraft(
        title="Team pulse",
        questions=ENPS,
        audience_kind="departments",
        audience_refs=[str(departments["eng"])],
        threshold=3,
    )
    with store.unit_of_work() as session:
        created = creation.create_survey(
            session=session, clock=clock, admins=ADMINS, author=manager, draft=draft, timezone="UTC"
        )
        assert created.audience_size == 3
    # Anonymous, three people cannot be surveyed under a threshold of five.
    with pytest.raises(InvalidInput, match="at least as many people"), store.unit_of_work() as s:
        creation.create_survey(
            session=s,
            clock=clock,
            admins=ADMINS,
            author=manager,
            draft=replace(draft, threshold=5),
            timezone="UTC",
        )
    for kind, refs in (("everyone", []), ("departments", [str(departments["sales"])])):
        with pytest.raises(PermissionDenied), store.unit_of_work() as session:
            creation.create_survey(
                session=session,
                clock=clock,
                admins=ADMINS,
                author=manager,
                draft=creation.SurveyDraft(
                    title="x", questions=ENPS, audience_kind=kind, audience_refs=refs
                ),
                timezone="UTC",
            )


def test_invitations_go_out_at_ten_in_each_persons_own_zone_on_weekdays(store: Store) -> None:
    clock = FixedClock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # a Friday
    with store.unit_of_work() as session:
        session.add(Person(slack_id="UADMIN", name="admin", tz="Europe/Berlin", synced_at=NOW))
        session.add(Person(slack_id="UTOKYO", name="ken", tz="Asia/Tokyo", synced_at=NOW))
        session.add(Person(slack_id="UNY", name="wendy", tz="America/New_York", synced_at=NOW))
        session.flush()
        created = creation.create_survey(
            session=session,
            clock=clock,
            admins=ADMINS,
            author="UADMIN",
            draft=creation.SurveyDraft(
                title="Pulse", questions=ENPS, local_time="10:00", threshold=3
            ),
            timezone="Europe/Berlin",
        )
        launched = runs.launch_run(
            session=session, clock=clock, survey_id=created.survey.id or 0, channel_members=None
        )
    assert isinstance(launched, runs.Launched)
    at = {i.user_id: i.not_before for i in launched.invitations}
    assert at["UNY"] == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 10:00 in New York
    assert at["UTOKYO"] == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo
    assert at["UADMIN"] == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 Berlin had passed
    # The window (5 days) counts from the last invitation.
    assert launched.run.closes_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_custom_questions_are_parsed_and_bad_lines_explained() -> None:
    specs = parse_questions(
        "enps: Recommend?\nlikert: Happy\nmulti: Perks? | Food | Gym\ncomment: Else?"
    )
    assert [s.kind for s in specs] == [
        QuestionKind.ENPS,
        QuestionKind.LIKERT,
        QuestionKind.MULTI,
        QuestionKind.COMMENT,
    ]
    assert specs[2].options == ("Food", "Gym")
    with pytest.raises(InvalidInput, match="no known kind"):
        parse_questions("what is this")
    with pytest.raises(InvalidInput, match="2 to 10 options"):
        parse_questions("choice: Pick | only one")
    assert len(TEMPLATES["engagement"].questions) == 6


def test_multiple_choice_is_counted_per_option_in_sql(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        people = _people(session, {"eng": 5})["eng"]
        run = _launch(
            session, clock, [QuestionSpec(QuestionKind.MULTI, "Perks?", ("Food", "Gym", "Bikes"))]
        )
        for person, picks in zip(
            people, ["Food,Gym", "Gym", "Bikes,Food", "Gym", "0"], strict=True
        ):
            _answer(session, clock, run, person, picks)
        results = run_results(session=session, run=run)
    assert next(iter(results.overall.values())).distribution == {0: 3, 1: 3, 2: 1}


def test_the_token_key_is_the_survey_key_when_set_and_never_shown() -> None:
    from bot.settings import Settings, SettingsError

    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "a" * 32}
    derived = Settings.from_env(base)
    dedicated = Settings.from_env({**base, "COMMONS_SURVEY_KEY": "k" * 40})
    assert derived.survey_key == ""
    assert answers.respondent_secret(derived.slack_signing_secret, derived.survey_key) == (
        answers.respondent_secret("a" * 32)
    )
    assert answers.respondent_secret(dedicated.slack_signing_secret, dedicated.survey_key) != (
        answers.respondent_secret("a" * 32)
    )
    assert "k" * 40 not in repr(dedicated)
    assert "k" * 40 in dedicated.secrets  # redacted from every log line
    with pytest.raises(SettingsError, match="COMMONS_SURVEY_KEY"):
        Settings.from_env({**base, "COMMONS_SURVEY_KEY": "short"})


def test_results_while_open_default_to_the_close_with_strong_protection(store: Store) -> None:
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        _people(session, {"eng": 5})
        modes = []
        for strong, chosen in ((False, None), (True, None), (False, "close"), (True, "steps")):
            created = creation.create_survey(
                session=session,
                clock=clock,
                admins=ADMINS,
                author="UADMIN",
                draft=creation.SurveyDraft(
                    title="Pulse",
                    questions=ENPS,
                    strong_protection=strong,
                    results_while_open=chosen,
                ),
                timezone="UTC",
            )
            modes.append(created.survey.results_while_open)
    assert modes == ["steps", "close", "close", "steps"]
    with pytest.raises(FieldErrors) as refused, store.unit_of_work() as session:
        creation.create_survey(
            session=session,
            clock=clock,
            admins=ADMINS,
            author="UADMIN",
            draft=creation.SurveyDraft(title="Pulse", questions=ENPS, results_while_open="live"),
            timezone="UTC",
        )
    assert "results_while_open" in refused.value.errors
