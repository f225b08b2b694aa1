"""`/townhall`: its verbs, the town-hall and question modals, and the Ask, See questions and
Upvote buttons, as handlers of the interaction layer.

Each handler parses (ids through bot.slack.args, metadata through `i.unseal`), calls the service and
says what the person sees; `register` only wires. Membership of private channels is Slack's,
read through announcements' `SlackMembers` before any write transaction.
"""

import re

from slack_sdk.models.views import View

from announcements.policy import Policy
from bot.slack.args import parse_id
from bot.slack.blocks import local_today
from bot.slack.gateway import SlackMembers
from bot.slack.interaction import Interaction, OpenModal, Outcome, Reply, UpdateModal, Wiring
from bot.slack.verbs import Bare, CommandTable, Verb
from bot.text.templating import render
from townhalls import access, blocks, digest, jobs, questions, reminders, sessions, votes

ASKED = ":speech_balloon: Your question is in. Others can upvote it."
ASKED_ANONYMOUSLY = (
    ":speech_balloon: Your question is in anonymously: your name was not stored. "
    "Others can upvote it."
)
# `/townhall followup <id> <text>`: the text as typed (quotes and spacing kept).
_AFTER_ID = re.compile(r"\s*\S+\s+\S+\s?(.*)\Z", re.DOTALL)


def policy_of(i: Interaction) -> Policy:
    """Who may do what, from the settings."""
    return Policy(admins=i.services.settings.admins)


def _members_of(i: Interaction, townhall_id: int) -> SlackMembers:
    """Slack's word on the person's membership, asked before the write transaction."""
    members = SlackMembers(i.client)
    with i.services.store.unit_of_work(write=False) as session:
        access.require_visible(
            session=session, members=members, townhall_id=townhall_id, user_id=i.user_id
        )
    return members


# -- /townhall and its form ---------------------------------------------------------------------


def on_new(i: Interaction) -> Outcome:
    """`/townhall`: the town-hall form, for those who may hold one."""
    with i.services.store.unit_of_work(write=False) as session:
        access.require_host(session=session, policy=policy_of(i), user_id=i.user_id)
        zone = access.default_zone(session=session, user_id=i.user_id)
    return OpenModal(blocks.townhall_view(zone, local_today(zone, i.services.clock.now())))


def on_townhall_submitted(i: Interaction) -> Outcome:
    """The town-hall form: the notice goes out, reminders and the host's questions are set."""
    with i.services.store.unit_of_work() as session:
        townhall = sessions.create(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            renderer=blocks.Renderer(),
            host_id=i.user_id,
            data=blocks.townhall_input(i.submitted),
        )
    return Reply(
        f":classical_building: Town hall #{townhall.id} is announced. Questions come in under the "
        "notice; you get them ranked by DM before the start. "
        f"`/townhall cancel {townhall.id}` cancels it.",
        title="Town hall",
    )


def on_list(i: Interaction, args: list[str]) -> Outcome:
    """`/townhall list`: those coming up that the person may see."""
    with i.services.store.unit_of_work(write=False) as session:
        rows = sessions.upcoming(
            session=session,
            clock=i.services.clock,
            members=SlackMembers(i.client),
            user_id=i.user_id,
        )
        zone = access.default_zone(session=session, user_id=i.user_id)
    return Reply(render("townhalls", "list.j2", rows=rows, zone=zone))


def on_followup(i: Interaction, args: list[str]) -> Outcome:
    """`/townhall followup <id> <text>`: posted in the notice's thread."""
    townhall_id = parse_id(args[0], usage="/townhall followup <id> <text>", what="town hall")
    match = _AFTER_ID.match(i.text)
    with i.services.store.unit_of_work() as session:
        count = sessions.followup(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            user_id=i.user_id,
            townhall_id=townhall_id,
            text=match.group(1) if match else " ".join(args[1:]),
        )
    where = "the notice's thread" if count == 1 else f"the notice's thread in {count} channels"
    return Reply(f":memo: Your follow-up goes in {where}.")


def on_cancel(i: Interaction, args: list[str]) -> Outcome:
    """`/townhall cancel <id>`."""
    townhall_id = parse_id(args[0], usage="/townhall cancel <id>", what="town hall")
    with i.services.store.unit_of_work() as session:
        text = sessions.cancel(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            user_id=i.user_id,
            townhall_id=townhall_id,
        )
    return Reply(text)


# -- questions ----------------------------------------------------------------------------------


def on_ask(i: Interaction) -> Outcome:
    """Ask a question, on a notice: the question form."""
    townhall_id = i.button_id(what="town hall", usage="/townhall list")
    with i.services.store.unit_of_work(write=False) as session:
        shown = access.require_visible(
            session=session,
            members=SlackMembers(i.client),
            townhall_id=townhall_id,
            user_id=i.user_id,
        )
    metadata = i.seal(blocks.ASK_SEAL, {"townhall": townhall_id})
    return OpenModal(blocks.ask_view(shown, metadata=metadata))


def on_ask_submitted(i: Interaction) -> Outcome:
    """The question form: stored (without the asker's id when anonymous)."""
    townhall_id = i.sealed_id(blocks.ASK_SEAL, "townhall")
    members, anonymous = _members_of(i, townhall_id), i.submitted.flag("anonymous")
    with i.services.store.unit_of_work() as session:
        questions.ask(
            session=session,
            clock=i.services.clock,
            members=members,
            user_id=i.user_id,
            question=questions.NewQuestion(
                townhall_id=townhall_id, text=i.submitted.text("question"), anonymous=anonymous
            ),
        )
    return Reply(ASKED_ANONYMOUSLY if anonymous else ASKED, title="Question sent")


def on_questions(i: Interaction) -> Outcome:
    """See and upvote questions, on a notice."""
    townhall_id = i.button_id(what="town hall", usage="/townhall list")
    return OpenModal(_questions_view(i, townhall_id, SlackMembers(i.client)))


def on_upvote(i: Interaction) -> Outcome:
    """Upvote, in the questions: counted once; the list shows the new order."""
    question_id = i.button_id(what="question", usage="/townhall list")
    members = SlackMembers(i.client)
    with i.services.store.unit_of_work(write=False) as session:
        questions.require_question_visible(
            session=session, members=members, question_id=question_id, user_id=i.user_id
        )
    with i.services.store.unit_of_work() as session:
        voted = votes.upvote(
            session=session, members=members, question_id=question_id, user_id=i.user_id
        )
    return UpdateModal(_questions_view(i, voted.townhall_id, members))


def _questions_view(i: Interaction, townhall_id: int, members: SlackMembers) -> View:
    with i.services.store.unit_of_work(write=False) as session:
        shown, asked = questions.questions(
            session=session, members=members, townhall_id=townhall_id, user_id=i.user_id
        )
    return blocks.questions_view(shown, asked, i.user_id)


TOWNHALL = CommandTable(
    command="/townhall",
    title="Town halls",
    bare=Bare(
        "announce a town hall: a notice, reminders, and questions ranked by votes for the host",
        on_new,
    ),
    verbs=(
        Verb("list", "", "upcoming town halls with ids, in your time zone", on_list, max_args=0),
        Verb(
            "followup",
            "<id> <text>",
            "the host (or communications) posts the recording or answers in the notice's "
            "thread, after the start",
            on_followup,
            who="managers",
            min_args=2,
        ),
        Verb(
            "cancel",
            "<id>",
            "stop its reminders and the questions DM; its threads say it is cancelled",
            on_cancel,
            who="managers",
            min_args=1,
            max_args=1,
        ),
    ),
    footer="Anyone can ask and upvote questions with the buttons under a town hall's notice.",
)


def register(wire: Wiring) -> None:
    """Wire `/townhall`, its modals and buttons, and its schedule handlers."""
    services, renderer = wire.services, blocks.Renderer()
    services.schedule_handlers[reminders.REMIND_KIND] = jobs.ReminderHandler(
        services.clock, renderer
    )
    services.schedule_handlers[digest.QUESTIONS_KIND] = jobs.QuestionsHandler(
        services.clock, renderer
    )
    wire.table(TOWNHALL)
    wire.view(blocks.TOWNHALL_FORM, on_townhall_submitted)
    wire.view(blocks.ASK_FORM, on_ask_submitted)
    wire.action(blocks.ASK_ACTION, on_ask)
    wire.action(blocks.QUESTIONS_ACTION, on_questions)
    wire.action(blocks.UPVOTE_ACTION, on_upvote)
