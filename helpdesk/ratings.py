"""Satisfaction: the requester rates a resolved request 1-5, once, and may add one comment."""

from sqlmodel import Session, col

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import insert_ignore
from helpdesk.models import HelpRequest, Rating, Status
from helpdesk.requests import load_request
from helpdesk.views import MAX_DETAILS, RequestView, view_of


def rate(*, session: Session, clock: Clock, actor: str, request_id: int, score: int) -> RequestView:
    """The requester rates a resolved request 1-5, once.

    Raises:
        PermissionDenied: not the requester.
        InvalidInput: not resolved yet, a score out of range, already rated.
    """
    request, _ = load_request(session=session, request_id=request_id)
    if actor != request.requester_id:
        raise PermissionDenied(f"Only <@{request.requester_id}> can rate request #{request.id}.")
    if request.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidInput(f"Request #{request.id} is not resolved yet; rate it once it is.")
    if not 1 <= score <= 5:
        raise InvalidInput("A rating is from 1 to 5.")
    rating = insert_ignore(
        session,
        Rating,
        ["request_id"],
        request_id=request.id,
        score=score,
        comment="",
        rated_at=clock.now(),
    )
    # Told by the row RETURNING gives back: PostgreSQL's driver reports no row count here.
    if session.execute(rating.returning(col(Rating.request_id))).first() is None:
        raise InvalidInput(f"You have already rated request #{request.id}; one rating per request.")
    request.version += 1  # the parent shows the rating
    session.add(request)
    session.flush()
    return view_of(session=session, request=request)


def check_commentable(*, session: Session, actor: str, request_id: int) -> Rating:
    """The rating the person may still add a comment to.

    Raises:
        NotFound: no such request.
        PermissionDenied: not the requester.
        InvalidInput: not rated yet, or already commented.
    """
    request = session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(f"There is no request #{request_id}.")
    if actor != request.requester_id:
        raise PermissionDenied(f"Only <@{request.requester_id}> can comment on this rating.")
    rating = session.get(Rating, request_id)
    if rating is None:
        raise InvalidInput("Rate the request first (1-5), then add a comment.")
    if rating.comment:
        raise InvalidInput("You have already added a comment to this rating.")
    return rating


def add_comment(
    *, session: Session, clock: Clock, actor: str, request_id: int, comment: str
) -> RequestView:
    """The requester adds a comment to their rating, once.

    Raises:
        as `check_commentable`; InvalidInput (field "comment") for an empty comment.
    """
    request, _ = load_request(session=session, request_id=request_id)
    rating = check_commentable(session=session, actor=actor, request_id=request_id)
    text = comment.strip()
    if not text:
        raise InvalidInput("The comment is empty.", field="comment")
    rating.comment = text[:MAX_DETAILS]
    session.add(rating)
    return view_of(session=session, request=request)
