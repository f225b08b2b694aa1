"""Tables of the shell: the workspace Commons is installed in."""

from datetime import datetime

from sqlmodel import Field, SQLModel


class Installation(SQLModel, table=True):
    """The workspace and bot identity, refreshed from auth.test and team.info at every start."""

    __tablename__ = "installation"

    team_id: str = Field(primary_key=True, max_length=32)
    team_name: str = Field(default="", max_length=255)
    team_domain: str = Field(default="", max_length=255)
    bot_user_id: str = Field(max_length=32)
    bot_id: str = Field(default="", max_length=32)
    updated_at: datetime
