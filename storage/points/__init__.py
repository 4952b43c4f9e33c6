"""Member points (党员积分, measure 14) and branch star ratings (评星定级, measure 13) in storage.

- :mod:`.models`: the tables (rules, entries, publications, star ratings);
- :mod:`.counts`: the set-based queries that count events (one statement for any number of members);
- :mod:`.tallies`: the closed months' attendance counts per member, kept so the city's points need not group a
  million rows on every report;
- :mod:`.queries`: the look-ups the services, jobs and CLI make (each takes a session, never commits).
"""

from storage.points.counts import (
    AttendanceRule,
    Span,
    attendance_rates,
    closed_meetings_by_month,
    community_spells,
    dispatch_studies,
    entry_rows,
    led_events,
    literal_date,
    local_day,
    service_events,
    span_list,
    spans_of,
)
from storage.points.member_events import (
    member_communities,
    member_entries,
    member_meetings,
    member_service,
    member_spans,
)
from storage.points.models import (
    EntryKind,
    PointEntry,
    PointPublication,
    PointRules,
    PointTally,
    PointTallyBuild,
    StarRating,
    StarStatus,
)
from storage.points.queries import (
    OrgChains,
    branch_ids_among,
    branch_secretaries_on_telegram,
    is_published,
    latest_rules_version,
    move_rating,
    newest_rules,
    org_by_ref_with_rules,
    org_chains,
    org_chains_and_rules,
    org_names,
    org_parents,
    party_groups_of,
    publications,
    published_branch_ids,
    rating_row,
    ratings_of,
)
from storage.points.tallies import attendance_counts

__all__ = [
    "AttendanceRule",
    "EntryKind",
    "OrgChains",
    "PointEntry",
    "PointPublication",
    "PointRules",
    "PointTally",
    "PointTallyBuild",
    "Span",
    "StarRating",
    "StarStatus",
    "attendance_counts",
    "attendance_rates",
    "branch_ids_among",
    "branch_secretaries_on_telegram",
    "closed_meetings_by_month",
    "community_spells",
    "dispatch_studies",
    "entry_rows",
    "is_published",
    "latest_rules_version",
    "led_events",
    "literal_date",
    "local_day",
    "member_communities",
    "member_entries",
    "member_meetings",
    "member_service",
    "member_spans",
    "move_rating",
    "newest_rules",
    "org_by_ref_with_rules",
    "org_chains",
    "org_chains_and_rules",
    "org_names",
    "org_parents",
    "party_groups_of",
    "publications",
    "published_branch_ids",
    "rating_row",
    "ratings_of",
    "service_events",
    "span_list",
    "spans_of",
]
