"""Volunteer service (志愿服务, 到社区报到, measure 22) in storage.

- :mod:`.models`: the tables (communities, registrations, activities, dispatches, sign-ups, self-reports) and the
  guarantees the database gives the services;
- :mod:`.communities`: look-ups of communities and registrations;
- :mod:`.activities`: activities, dispatches, places, sign-ups, check-in and check-out (the deciding writes are
  one conditional statement each);
- :mod:`.hours`: self-reports and their approval queue, hours per member and per branch.

Each query takes a session and never commits. The names below are imported from their modules.
"""

from storage.volunteer.models import (
    Activity,
    ActivityDispatch,
    ActivityStatus,
    Community,
    CommunityRegistration,
    ReportStatus,
    ServiceReport,
    SignUp,
    SignUpStatus,
)

__all__ = [
    "Activity",
    "ActivityDispatch",
    "ActivityStatus",
    "Community",
    "CommunityRegistration",
    "ReportStatus",
    "ServiceReport",
    "SignUp",
    "SignUpStatus",
]
