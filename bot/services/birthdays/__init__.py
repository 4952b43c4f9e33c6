"""Political birthdays (政治生日, measure 5): who has one when, greetings exactly once, lists for those who lead.

A member's political birthday is the anniversary of their join date (入党日期); 29 February falls on
28 February in common years (:func:`bot.clock.anniversary`). On it they are in their N-th year as a member,
N = year - join year ("入党第 N 周年"); a member who joined less than a year ago has no anniversary yet.

The model feature: copy its shape. One module per concern —

- :mod:`.anniversaries`: who has one when, and the join dates that give none;
- :mod:`.members`: a member's own birthday and greeting choice (/mybirthday);
- :mod:`.branches`: a branch's month list, the counts by branch, the branch's wish (/birthdays);
- :mod:`.runs`: the scheduler's daily work (greetings, month lists, theme-day reminders);
- :mod:`.listing`: the command line's listing;
- :mod:`.texts`: labels, rendered screens and the CLI's lines; :mod:`.buttons`: the buttons, declared once.

Queries live in :mod:`storage.birthdays`; what the package offers is named here.
"""

from bot.services.birthdays.anniversaries import (
    PROBLEM_MESSAGES,
    Birthday,
    DataIssue,
    DateProblem,
    birthdays_in_month,
    birthdays_on,
    data_issues,
    join_date_problem,
    political_birthday,
    years_in,
)
from bot.services.birthdays.branches import (
    WISH_MAX_LENGTH,
    BranchCount,
    BranchMonth,
    branch_month,
    branch_wish,
    parse_month,
    set_wish,
    subtree_counts,
    wish_of,
)
from bot.services.birthdays.buttons import BirthdayAction, BirthdayButton
from bot.services.birthdays.listing import Listing, listing
from bot.services.birthdays.members import MyBirthday, my_birthday, set_greetings
from bot.services.birthdays.runs import (
    GREETINGS_JOB,
    MONTH_JOB,
    THEME_JOB,
    DayNote,
    RunReport,
    run_greetings,
    run_month_lists,
    run_theme_reminders,
)
from bot.services.birthdays.texts import (
    CLI_BAD_DATE,
    CLI_BAD_MONTH,
    CLI_BOTH,
    CLI_DATA_TO_FIX,
    CLI_LINE,
    CLI_NONE_IN_MONTH,
    CLI_NONE_ON_DAY,
    THEME_REMINDER_DAYS,
    day_label,
    month_label,
    render_counts,
    render_greeting,
    render_month,
)

__all__ = [
    "CLI_BAD_DATE",
    "CLI_BAD_MONTH",
    "CLI_BOTH",
    "CLI_DATA_TO_FIX",
    "CLI_LINE",
    "CLI_NONE_IN_MONTH",
    "CLI_NONE_ON_DAY",
    "GREETINGS_JOB",
    "MONTH_JOB",
    "PROBLEM_MESSAGES",
    "THEME_JOB",
    "THEME_REMINDER_DAYS",
    "WISH_MAX_LENGTH",
    "Birthday",
    "BirthdayAction",
    "BirthdayButton",
    "BranchCount",
    "BranchMonth",
    "DataIssue",
    "DateProblem",
    "DayNote",
    "Listing",
    "MyBirthday",
    "RunReport",
    "birthdays_in_month",
    "birthdays_on",
    "branch_month",
    "branch_wish",
    "data_issues",
    "day_label",
    "join_date_problem",
    "listing",
    "month_label",
    "my_birthday",
    "parse_month",
    "political_birthday",
    "render_counts",
    "render_greeting",
    "render_month",
    "run_greetings",
    "run_month_lists",
    "run_theme_reminders",
    "set_greetings",
    "set_wish",
    "subtree_counts",
    "wish_of",
    "years_in",
]
