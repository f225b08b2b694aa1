"""Who may do what with pulse surveys, and who may see a survey's results.

HR (admins, comms, and members of the department whose handle is `hr`) may survey anyone and see
every survey's results; managers survey their own departments; members cannot run surveys.
"""

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.errors import PermissionDenied
from directory import service as directory
from directory.models import Department, DepartmentMember, Person, Role, RoleAssignment
from surveys.common import HR_HANDLE
from surveys.models import Survey


def is_hr(*, session: Session, admins: Sequence[str], user_id: str) -> bool:
    """Admins, comms, and members of the department with handle `hr` run company-wide surveys."""
    role, _ = directory.role_of(session=session, admins=admins, user_id=user_id)
    if role in (Role.ADMIN, Role.COMMS):
        return True
    return any(
        d.handle.lower() == HR_HANDLE
        for d in directory.departments_of(session=session, user_id=user_id)
    )


def may_see(*, session: Session, admins: Sequence[str], user_id: str, survey: Survey) -> bool:
    """The author, HR, comms and admins see a survey's results."""
    return survey.author_id == user_id or is_hr(session=session, admins=admins, user_id=user_id)


def require_may_see(
    *, session: Session, admins: Sequence[str], user_id: str, survey: Survey
) -> None:
    """Raise unless the person may see results of this survey.

    Raises:
        PermissionDenied: not the author, HR, comms or an admin.
    """
    if not may_see(session=session, admins=admins, user_id=user_id, survey=survey):
        raise PermissionDenied(
            f"Only the author of survey {survey.id}, HR and communications can see its results "
            "or manage it."
        )


def modal_choices(
    *, session: Session, admins: Sequence[str], user_id: str
) -> tuple[list[tuple[int, str]], bool]:
    """The departments a person may survey and whether they are limited to them (a manager).

    Raises:
        PermissionDenied: members, who cannot run surveys.
    """
    if is_hr(session=session, admins=admins, user_id=user_id):
        departments = session.exec(
            select(Department).where(Department.active == True).order_by(col(Department.name))  # noqa: E712
        ).all()
        return [(d.id or 0, d.name) for d in departments], False
    role, _ = directory.role_of(session=session, admins=admins, user_id=user_id)
    mine = directory.departments_of(session=session, user_id=user_id)
    if role is not Role.MANAGER or not mine:
        raise PermissionDenied(
            "Pulse surveys are run by HR, communications and managers (for their department). "
            "Ask HR to run one; `/commons whoami` shows your role."
        )
    return [(d.id or 0, d.name) for d in mine], True


def results_viewers(*, session: Session, admins: Sequence[str], survey: Survey) -> list[str]:
    """Everyone who may see this survey's results: its author, admins, comms and HR's members."""
    comms = session.exec(
        select(RoleAssignment.person_id).where(
            col(RoleAssignment.role).in_([Role.ADMIN.value, Role.COMMS.value])
        )
    ).all()
    hr = session.exec(
        select(DepartmentMember.person_id)
        .join(Department, col(Department.id) == DepartmentMember.department_id)
        .join(Person, col(Person.slack_id) == DepartmentMember.person_id)
        .where(
            func.lower(Department.handle) == HR_HANDLE,
            Department.active == True,  # noqa: E712
        )
    ).all()
    return sorted({survey.author_id, *admins, *comms, *hr})
