"""Benchmark: results of one survey run with 100,000 answers across 50 departments.

    .venv/bin/python benchmarks/survey_results.py                      # SQLite (a temp file)
    .venv/bin/python benchmarks/survey_results.py --database-url postgresql+psycopg://...

Builds the data with bulk inserts (20,000 people in 50 departments, an eNPS + 4 Likert + comment
survey, 100,000 scored answers and 2,000 comments), closes the run as its schedule would, then
times `surveys.snapshots.results_for` for the author: everything /pulse results shows
(participation, eNPS, averages, distributions, favorability, the breakdown under the threshold
rules with the viewer's own answer counted out, trend, comments and their sentiment).
The target is under 1 s per computation.
"""

import argparse
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from bot.clock import FixedClock
from bot.store import Store, make_engine, upgrade
from directory.models import Department, DepartmentMember, Person
from surveys.answers import respondent_token
from surveys.creation import SurveyDraft, create_survey
from surveys.models import QuestionKind, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyRun
from surveys.questions import QuestionSpec
from surveys.release import Keys
from surveys.runs import Launched, close_run, launch_run
from surveys.snapshots import results_for

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
KEYS = Keys(secret=b"benchmark", admins=("UADMIN",))
DEPARTMENTS = 50
PEOPLE = 20_000
SCORED_QUESTIONS = 5  # 20,000 x 5 = 100,000 answers
COMMENTS = 2_000
QUESTIONS = [
    QuestionSpec(QuestionKind.ENPS, "How likely are you to recommend working here?"),
    QuestionSpec(QuestionKind.LIKERT, "My workload is manageable."),
    QuestionSpec(QuestionKind.LIKERT, "I know what the goals of my team are."),
    QuestionSpec(QuestionKind.LIKERT, "I am recognised for good work."),
    QuestionSpec(QuestionKind.LIKERT, "I have a good relationship with my manager."),
    QuestionSpec(QuestionKind.COMMENT, "Anything else?", required=False),
]


def _build(store: Store) -> int:
    rng = random.Random(5)
    clock = FixedClock(NOW)
    with store.unit_of_work() as session:
        session.execute(
            insert(Department),
            [
                {
                    "usergroup_id": f"S{d:04d}",
                    "handle": f"dept{d}",
                    "name": f"Department {d}",
                    "channel_set_by_admin": False,
                    "active": True,
                    "synced_at": NOW,
                }
                for d in range(DEPARTMENTS)
            ],
        )
        department_ids = list(session.exec(select(Department.id)).all())
        people = [f"U{i:07d}" for i in range(PEOPLE)]
        session.execute(
            insert(Person),
            [
                {
                    "slack_id": p,
                    "name": p.lower(),
                    "real_name": p,
                    "display_name": "",
                    "tz": "UTC",
                    "title": "",
                    "email": "",
                    "active": True,
                    "synced_at": NOW,
                }
                for p in ["UADMIN", *people]
            ],
        )
        # Department sizes from 40 to 760: some small enough to be hidden in a sample.
        session.execute(
            insert(DepartmentMember),
            [
                {"department_id": department_ids[i % DEPARTMENTS], "person_id": p}
                for i, p in enumerate(people)
            ],
        )
        created = create_survey(
            session=session,
            clock=clock,
            admins=("UADMIN",),
            author="UADMIN",
            draft=SurveyDraft(title="Benchmark pulse", questions=QUESTIONS),
            timezone="UTC",
        )
        launched = launch_run(
            session=session, clock=clock, survey_id=created.survey.id or 0, channel_members=None
        )
        assert isinstance(launched, Launched)
        run_id = launched.run.id or 0
        groups = dict(
            session.exec(
                select(SurveyInvitation.user_id, SurveyInvitation.group_id).where(
                    SurveyInvitation.run_id == run_id
                )
            ).all()
        )
        questions = list(
            session.exec(
                select(SurveyQuestion).where(SurveyQuestion.survey_id == created.survey.id)
            ).all()
        )
        rows = []
        for i, person in enumerate(people):
            token = respondent_token(KEYS.secret, run_id, person)
            group = groups[person]
            for question in questions:
                if question.kind == "comment":
                    if i < COMMENTS:
                        rows.append(
                            {
                                "id": secrets.randbits(63),
                                "run_id": run_id,
                                "question_id": question.id,
                                "respondent": token,
                                "group_id": group,
                                "value": None,
                                "text": rng.choice(["Great team", "Too many meetings", "OK"]),
                                "sentiment": rng.uniform(-1, 1),
                            }
                        )
                    continue
                high = 10 if question.kind == "enps" else 5
                low = 0 if question.kind == "enps" else 1
                rows.append(
                    {
                        "id": secrets.randbits(63),
                        "run_id": run_id,
                        "question_id": question.id,
                        "respondent": token,
                        "group_id": group,
                        "value": rng.randint(low, high),
                        "text": None,
                        "sentiment": None,
                    }
                )
        for start in range(0, len(rows), 5_000):
            session.execute(insert(SurveyAnswer), rows[start : start + 5_000])
    with store.unit_of_work() as session:  # closed as its schedule would close it
        run = session.get(SurveyRun, run_id)
        assert run is not None
        close_run(session=session, clock=clock, run=run, keys=KEYS)
    return run_id


def measure(database_url: str, repeats: int = 5) -> dict[str, float]:
    """Build the data at `database_url` and time the results; returns the figures."""
    engine = make_engine(database_url)
    upgrade(engine)
    store = Store(engine)
    started = time.perf_counter()
    run_id = _build(store)
    built = time.perf_counter() - started
    timings: list[float] = []
    answers = 0
    for _ in range(repeats):
        with store.unit_of_work(write=False) as session:
            run = session.get(SurveyRun, run_id)
            assert run is not None
            t0 = time.perf_counter()
            results = results_for(session=session, run=run, viewer="UADMIN", keys=KEYS)
            timings.append(time.perf_counter() - t0)
            answers = results.answers
    engine.dispose()
    return {
        "answers": float(answers),
        "build_s": built,
        "median_s": statistics.median(timings),
        "max_s": max(timings),
    }


def main() -> None:
    """Run on SQLite (temp file) or the given database, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        figures = measure(url, args.repeats)
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: {int(figures['answers']):,} answers, {DEPARTMENTS} departments; "
        f"results in {figures['median_s'] * 1000:.0f} ms median, "
        f"{figures['max_s'] * 1000:.0f} ms max of {args.repeats} "
        f"(data built in {figures['build_s']:.1f} s) -> "
        + ("OK (< 1 s)" if figures["max_s"] < 1 else "TOO SLOW (>= 1 s)")
    )


if __name__ == "__main__":
    main()
