"""`/commons desk ...`: the admins' verbs that set up help desks, and the set-up form."""

import shlex
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from bot.errors import InvalidInput
from bot.slack.args import channel_ref, parse_count, parse_date, shown, user_ref, usergroup_ref
from bot.slack.interaction import Interaction, OpenModal, Outcome, Reply
from bot.slack.verbs import CommandTable, Verb
from bot.text.mrkdwn import counted, escape
from bot.text.templating import render
from helpdesk import blocks, desk_settings, desks, setup
from helpdesk.hours import describe_minutes
from helpdesk.models import Desk

DESK_COMMAND = "/commons desk"
PACKAGE = "helpdesk"

T = TypeVar("T")


# -- /commons desk ---------------------------------------------------------------------------


def on_desk(i: Interaction, args: list[str]) -> Outcome:
    """`/commons desk <verb> ...`: the desk table's verb."""
    return DESK.handle(replace(i, text=shlex.join(args)))


def _as_admin(i: Interaction, change: Callable[..., T], **values: Any) -> T:
    """An admin's change to a desk, as the person acting, in one unit of work."""
    with i.services.store.unit_of_work() as session:
        return change(session=session, admins=i.services.settings.admins, actor=i.user_id, **values)


def _usage(name: str) -> InvalidInput:
    verb = DESK.find(name)
    assert verb is not None
    return InvalidInput(f"Usage: `{escape(DESK.usage(verb))}`")


def on_desk_new(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        departments, zone = setup.desk_form_choices(
            session=session,
            admins=i.services.settings.admins,
            actor=i.user_id,
            default_zone=i.services.settings.timezone,
        )
    if not departments:
        return Reply(
            "A desk's agents are a Slack user group, and Commons knows none yet. Create one in "
            "Slack (People > User groups), then `/commons sync` and try again."
        )
    return OpenModal(blocks.desk_modal(departments, zone))


def on_desk_submitted(i: Interaction) -> Outcome:
    """The desk set-up form: every mistake at its field, or the desk and what to do next."""
    with i.services.store.unit_of_work() as session:
        desk = setup.create_desk(
            session=session,
            clock=i.services.clock,
            admins=i.services.settings.admins,
            actor=i.user_id,
            form=blocks.read_desk_form(i.submitted),
        )
        hours = desks.business_hours(session=session, desk=desk).describe()
    return Reply(_created(desk, hours), title="Desk created")


def _created(desk: Desk, hours: str) -> str:
    context = {"desk": desk, "hours": hours, "defaults": desks.DEFAULT_SLA}
    return render(PACKAGE, "desk_created.j2", describe=describe_minutes, **context)


def on_desk_add(i: Interaction, args: list[str]) -> Outcome:
    key, name, channel, group = args
    typed = setup.NewDesk(
        key=key, name=name, channel=channel_ref(channel), usergroup=usergroup_ref(group)
    )
    desk = _as_admin(i, setup.add_desk, clock=i.services.clock, desk=typed)
    return Reply(render(PACKAGE, "desk_added.j2", desk=desk))


def on_desk_remove(i: Interaction, args: list[str]) -> Outcome:
    desk = _as_admin(i, setup.remove_desk, clock=i.services.clock, key=args[0])
    return Reply(
        f"Desk `{desk.key}` takes no new requests. Its requests are kept. Undo: "
        f'`/commons desk add {desk.key} "{escape(desk.name)}" <#{desk.channel_id}> '
        f"<!subteam^{desk.usergroup_id}>`."
    )


def on_desk_show(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        desk = desks.find_desk(session=session, reference=args[0])
        info = desks.desk_info(session=session, desk=desk)
    return Reply(render(PACKAGE, "desk_list.j2", desks=[info], describe=describe_minutes))


def on_desk_list(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        every = desks.list_desks(session=session)
    return Reply(render(PACKAGE, "desk_list.j2", desks=every, describe=describe_minutes))


def on_desk_hours(i: Interaction, args: list[str]) -> Outcome:
    key, days, window, zone = args
    typed = desk_settings.HoursText(days=days, window=window, zone=zone)
    desk, hours = _as_admin(
        i, desk_settings.set_hours, clock=i.services.clock, key=key, hours=typed
    )
    return Reply(f"`{desk.key}` works {escape(hours.describe())}.")


def on_desk_holiday(i: Interaction, args: list[str]) -> Outcome:
    remove = args[1].lower() == "remove"
    if remove != (len(args) == 3):
        raise _usage("holiday")
    day = parse_date(args[-1])
    desk, day = _as_admin(i, desk_settings.set_holiday, key=args[0], day=day, remove=remove)
    if remove:
        return Reply(f"`{desk.key}` is open on {day:%a %d %b %Y}.")
    return Reply(
        f"`{desk.key}` is closed on {day:%a %d %b %Y}. "
        f"Undo: `/commons desk holiday {desk.key} remove {day}`."
    )


def on_desk_sla(i: Interaction, args: list[str]) -> Outcome:
    key, priority, first_response, resolution = args
    typed = desk_settings.TargetsText(
        priority=priority, first_response=first_response, resolution=resolution
    )
    desk, first, resolve = _as_admin(i, desk_settings.set_sla, key=key, targets=typed)
    return Reply(
        f"`{desk.key}` {shown(priority.lower())} priority: first response within "
        f"{describe_minutes(first)}, resolution within {describe_minutes(resolve)} (business time)."
    )


def on_desk_alias(i: Interaction, args: list[str]) -> Outcome:
    remove, alias = _remove_and_value(args)
    desk = _as_admin(i, desk_settings.set_alias, key=args[0], alias=alias, remove=remove)
    done = "removed from" if remove else "added to"
    return Reply(f"Alias `{escape(alias.lower().lstrip('@#'))}` {done} `{desk.key}`.")


def on_desk_category(i: Interaction, args: list[str]) -> Outcome:
    remove, name = _remove_and_value(args)
    desk = _as_admin(i, desk_settings.set_category, key=args[0], name=name, remove=remove)
    done = "removed from" if remove else "added to"
    return Reply(f"Category `{escape(name.strip()[:64])}` {done} `{desk.key}`.")


def _remove_and_value(args: list[str]) -> tuple[bool, str]:
    """`<key> [remove] <value...>`: whether it is a removal, and the value."""
    remove = args[1].lower() == "remove" and len(args) > 2
    return remove, " ".join(args[2:] if remove else args[1:])


def on_desk_lead(i: Interaction, args: list[str]) -> Outcome:
    target = args[1]
    is_channel = target.startswith(("<#", "#"))
    desk = _as_admin(
        i,
        desk_settings.set_lead,
        key=args[0],
        user_id=None if is_channel else user_ref(target),
        channel=channel_ref(target) if is_channel else None,
    )
    where = f"<#{desk.escalation_channel_id}>" if is_channel else f"<@{desk.lead_user_id}>"
    return Reply(f"SLA breaches at `{desk.key}` now go to {where}.")


def on_desk_reaction(i: Interaction, args: list[str]) -> Outcome:
    desk = _as_admin(i, desk_settings.set_reaction, key=args[0], reaction=args[1])
    return Reply(
        f"Reacting with :{desk.reaction}: to a message in <#{desk.channel_id}> turns it into a "
        "request."
    )


def on_desk_autoclose(i: Interaction, args: list[str]) -> Outcome:
    days = parse_count(args[1], what="The number of days", low=1, high=90)
    desk = _as_admin(i, desk_settings.set_autoclose, key=args[0], days=days)
    after = counted(desk.close_after_days, "day")
    return Reply(f"Resolved requests at `{desk.key}` close {after} after they are resolved.")


DESK = CommandTable(
    command=DESK_COMMAND,
    title="Help desks (admins)",
    verbs=(
        Verb(
            "new", "", "a form that sets up a desk in one go", on_desk_new, who="admin", max_args=0
        ),
        Verb(
            "add",
            '<key> "<Name>" #intake-channel @agents',
            'a desk, e.g. `/commons desk add it "IT" #it-help @it`',
            on_desk_add,
            who="admin",
            min_args=4,
            max_args=4,
        ),
        Verb(
            "hours",
            "<key> <days> <HH:MM-HH:MM> <Zone>",
            "working days and hours, e.g. `/commons desk hours it Mon-Fri 09:00-17:00 Europe/London`",
            on_desk_hours,
            who="admin",
            min_args=4,
            max_args=4,
        ),
        Verb(
            "holiday",
            "<key> [remove] <YYYY-MM-DD>",
            "a day the desk is closed, e.g. `/commons desk holiday it 2026-12-25`",
            on_desk_holiday,
            who="admin",
            min_args=2,
            max_args=3,
        ),
        Verb(
            "sla",
            "<key> <priority> <first response> <resolution>",
            "targets in business time (`30m`, `4h`, `2d`), e.g. `/commons desk sla it high 1h 8h`",
            on_desk_sla,
            who="admin",
            min_args=4,
            max_args=4,
        ),
        Verb(
            "alias",
            "<key> [remove] <alias>",
            "another name, e.g. `/commons desk alias it tech`",
            on_desk_alias,
            who="admin",
            min_args=2,
            max_args=3,
        ),
        Verb(
            "category",
            "<key> [remove] <name>",
            "a category requesters choose, e.g. `/commons desk category it Hardware`",
            on_desk_category,
            who="admin",
            min_args=2,
        ),
        Verb(
            "lead",
            "<key> <@person or #channel>",
            "who hears about SLA breaches",
            on_desk_lead,
            who="admin",
            min_args=2,
            max_args=2,
        ),
        Verb(
            "reaction",
            "<key> :emoji:",
            "the reaction that turns a message in the intake channel into a request (default :ticket:)",
            on_desk_reaction,
            who="admin",
            min_args=2,
            max_args=2,
        ),
        Verb(
            "autoclose",
            "<key> <days>",
            "resolved requests close after this many days (default 3)",
            on_desk_autoclose,
            who="admin",
            min_args=2,
            max_args=2,
        ),
        Verb(
            "show", "<key>", "a desk's settings", on_desk_show, who="admin", min_args=1, max_args=1
        ),
        Verb("list", "", "every desk's settings", on_desk_list, who="admin", max_args=0),
        Verb(
            "remove",
            "<key>",
            "stop new requests (requests and settings are kept; `add` brings it back)",
            on_desk_remove,
            who="admin",
            min_args=1,
            max_args=1,
        ),
    ),
    footer="A desk key is short (`it`); names with spaces go in quotes.",
)

DESK_VERB = Verb(
    "desk",
    "",
    "set up help desks (`/commons desk new` opens a form; `/commons desk help`)",
    on_desk,
    who="admin",
)
