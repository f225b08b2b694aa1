"""`commons outbox`: campaigns with their progress; retry what failed; cancel what is still pending."""

import argparse
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.errors import DomainError
from bot.outbox import delivery
from bot.outbox.delivery import CampaignProgress
from bot.store import Store, make_engine
from bot.text.mrkdwn import counted


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Attach `commons outbox ...` to the command line."""
    outbox = commands.add_parser(
        "outbox",
        help="see and steer message deliveries (list, show, retry, cancel)",
        description="Every message Commons sends in bulk or later goes through the outbox, "
        "grouped in campaigns (one announcement, one survey's invitations). Reads DATABASE_URL.",
    )
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list",
        help="newest campaigns with progress",
        description="Newest campaigns first: "
        "sent, pending and failed messages, the rate of the last minute and the time left.",
    )
    listing.add_argument("--limit", type=int, default=20, help="how many campaigns (default 20)")
    show = actions.add_parser(
        "show",
        help="one campaign in detail, with failure reasons",
        description="One campaign in detail, with Slack's reason for each failure.",
    )
    show.add_argument("campaign", help="the campaign id, as `commons outbox list` shows it")
    retry = actions.add_parser(
        "retry",
        help="queue a campaign's failed messages again",
        description="Queue a campaign's failed messages again (after fixing the cause, e.g. "
        "inviting Commons to a channel).",
    )
    retry.add_argument("campaign", help="the campaign id")
    cancel = actions.add_parser(
        "cancel",
        help="cancel a campaign's messages that are not posted yet",
        description="Cancel a campaign's messages that are not posted yet. Messages already "
        "posted stay in Slack.",
    )
    cancel.add_argument("campaign", help="the campaign id")


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def _row(p: CampaignProgress) -> str:
    return (
        f"{p.campaign_id[:28]:<28} {p.kind[:14]:<14} {p.title[:28]:<28} {p.sent:>7} {p.pending:>8} "
        f"{p.failed:>7} {p.rate_per_minute:>9.0f} {_duration(p.eta):>8}  "
        f"{p.created_at:%Y-%m-%d %H:%M} UTC"
    )


HEADER = (
    f"{'CAMPAIGN':<28} {'KIND':<14} {'TITLE':<28} {'SENT':>7} {'PENDING':>8} {'FAILED':>7} "
    f"{'RATE/MIN':>9} {'ETA':>8}  CREATED"
)


def run(args: argparse.Namespace, database_url: str, budget_per_minute: int) -> int:
    """Carry out `commons outbox <action>`; prints the outcome and returns the exit status."""
    store = Store(make_engine(database_url))
    actions = {"list": _list, "show": _show, "retry": _retry, "cancel": _cancel}
    action = actions.get(args.outbox_command)
    try:
        if action is None:
            return 2
        action(args, store, SystemClock(), budget_per_minute)
        return 0
    except DomainError as error:
        print(error.message)
        return 1
    finally:
        store.dispose()


def _list(args: argparse.Namespace, store: Store, clock: Clock, budget: int) -> None:
    with store.unit_of_work(write=False) as session:
        ids = delivery.recent_campaigns(session=session, limit=args.limit)
        rows = [
            delivery.progress(session=session, clock=clock, campaign_id=i, budget_per_minute=budget)
            for i in ids
        ]
    if not rows:
        print("No campaigns yet: nothing has been sent through the outbox.")
        return
    print(HEADER)
    for row in rows:
        print(_row(row))


def _show(args: argparse.Namespace, store: Store, clock: Clock, budget: int) -> None:
    with store.unit_of_work(write=False) as session:
        p = delivery.progress(
            session=session, clock=clock, campaign_id=args.campaign, budget_per_minute=budget
        )
    print(HEADER)
    print(_row(p))
    print(
        f"\n{p.total} messages: {p.sent} sent, {p.pending} pending, {p.failed} failed, "
        f"{p.cancelled} cancelled."
    )
    for reason, count in sorted(p.failures.items(), key=lambda item: -item[1]):
        print(f"  failed with {reason}: {count}")
    if p.failed:
        print(f"Fix the cause, then `commons outbox retry {p.campaign_id}`.")


def _retry(args: argparse.Namespace, store: Store, clock: Clock, budget: int) -> None:
    with store.unit_of_work() as session:
        count = delivery.retry_failed(session=session, clock=clock, campaign_id=args.campaign)
    print(
        f"Queued {counted(count, 'failed message')} of {args.campaign} again."
        if count
        else f"{args.campaign} has no failed messages; nothing to retry."
    )


def _cancel(args: argparse.Namespace, store: Store, clock: Clock, budget: int) -> None:
    with store.unit_of_work() as session:
        count = delivery.cancel_pending(session=session, campaign_id=args.campaign)
    print(
        f"Cancelled {counted(count, 'pending message')} of {args.campaign}; "
        "messages already posted stay in Slack."
    )
