"""The shape of the organisation tree: which kind may sit under which, one root, no loops.

An organisation import is checked against the whole tree it would leave behind (what is stored, with the file's
rows laid over it), so a row that is fine on its own but breaks the tree elsewhere is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from bot.services.tabular import RowError
from storage.models import OrgKind

# Parent kinds each kind may have (glossary: 市直机关工委 → 机关党委 → 党总支 → 党支部 → 党小组).
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    OrgKind.WORKING_COMMITTEE: frozenset(),  # the root (市直机关工委)
    OrgKind.UNIT_COMMITTEE: frozenset({OrgKind.WORKING_COMMITTEE}),  # 机关党委
    OrgKind.GENERAL_BRANCH: frozenset({OrgKind.UNIT_COMMITTEE}),  # 党总支, within a unit
    OrgKind.BRANCH: frozenset({OrgKind.UNIT_COMMITTEE, OrgKind.GENERAL_BRANCH}),  # 党支部
    OrgKind.PARTY_GROUP: frozenset({OrgKind.BRANCH}),  # 党小组, a subdivision of one branch
}


@dataclass
class Node:
    """One organisation of the resulting tree; ``row`` is its row in the file (None: stored, not in the file)."""

    code: str
    kind: str
    parent: str | None
    row: int | None


def tree_errors(nodes: dict[str, Node]) -> list[RowError]:
    """Every way the tree breaks the rules, each on the file row that causes it.

    A stored organisation that the file leaves broken (its parent turned into another kind) is reported on the
    parent's row, since that is the row to change."""
    errors: list[RowError] = []

    def row_of(node: Node) -> int:
        if node.row is not None:
            return node.row
        parent = nodes.get(node.parent) if node.parent else None
        return parent.row if parent is not None and parent.row is not None else 1

    roots = [n for n in nodes.values() if n.parent is None]
    for node in nodes.values():
        allowed = ALLOWED_PARENTS.get(node.kind, frozenset())
        if node.parent is None:
            if node.kind != OrgKind.WORKING_COMMITTEE:
                errors.append(
                    RowError(
                        row_of(node),
                        N_("%(code)s (%(kind)s) needs a parent: only the working committee is at the top"),
                        {"code": node.code, "kind": node.kind},
                    )
                )
            continue
        parent = nodes.get(node.parent)
        if parent is None:
            continue  # an unknown parent is reported by the reader of the row
        if node.kind == OrgKind.WORKING_COMMITTEE:
            errors.append(
                RowError(
                    row_of(node),
                    N_("%(code)s is the working committee, the top of the tree: it cannot have a parent"),
                    {"code": node.code},
                )
            )
        elif parent.kind not in allowed:
            errors.append(
                RowError(
                    row_of(node),
                    N_("%(code)s (%(kind)s) cannot be under %(parent)s (%(parent_kind)s); allowed: %(allowed)s"),
                    {
                        "code": node.code,
                        "kind": node.kind,
                        "parent": parent.code,
                        "parent_kind": parent.kind,
                        "allowed": ", ".join(sorted(allowed)),
                    },
                )
            )
    committees = sorted(
        (n for n in roots if n.kind == OrgKind.WORKING_COMMITTEE), key=lambda n: (n.row is not None, n.row or 0)
    )
    for extra in committees[1:]:
        errors.append(
            RowError(
                row_of(extra),
                N_("%(code)s would be a second top of the tree; there is one working committee (%(root)s)"),
                {"code": extra.code, "root": committees[0].code},
            )
        )
    for code in _in_loops(nodes):
        node = nodes[code]
        errors.append(
            RowError(row_of(node), N_("%(code)s would be its own ancestor (the parents form a loop)"), {"code": code})
        )
    return sorted(errors, key=lambda e: e.row)


def _in_loops(nodes: dict[str, Node]) -> list[str]:
    """Codes of the organisations on a cycle of parents, in file order."""
    looped: set[str] = set()
    settled: set[str] = set()
    for start in nodes:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current in nodes and current not in settled:
            if current in on_path:
                looped.update(path[path.index(current) :])
                break
            path.append(current)
            on_path.add(current)
            current = nodes[current].parent
        settled.update(path)
    return [code for code in nodes if code in looped]
