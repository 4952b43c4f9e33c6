"""Issue 11, item 12: a refusal to someone outside says only that it is not theirs, never which branch it is."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from tests.conftest import BotHarness
from tests.meetings_helpers import schedule

ROOT = Path(__file__).resolve().parent.parent
GROUP = -100500
OTHER_BRANCH_NAMES = ("第一党支部", "第二党支部", "第一党小组", "市民政局机关党委")

# Refusals that name an organisation on purpose, because it is the caller's own (their subtree or branch).
OWN_ORGANISATION = {
    "《%(title)s》 has already been dispatched to every branch of %(org)s.",  # an administrator's own subtree
    "This meeting is for the members of %(branch)s.",  # only to a member of the same branch (another group)
}


def _refusal_msgids() -> list[tuple[str, str]]:
    """``(file, msgid)`` of every PermissionDenied / NotFound / Conflict raised with a literal message id."""
    found = []
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("PermissionDenied", "NotFound", "Conflict") or not node.args:
                continue
            for inner in ast.walk(node.args[0]):
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    found.append((str(path.relative_to(ROOT)), inner.value))
    return found


def test_no_refusal_interpolates_an_organisation_name() -> None:
    msgids = _refusal_msgids()
    assert len(msgids) > 30  # the scan sees the refusals
    naming = [
        (path, msgid)
        for path, msgid in msgids
        if any(p in msgid for p in ("%(branch)s", "%(org)s", "%(unit)s", "%(group)s")) and msgid not in OWN_ORGANISATION
    ]
    assert naming == []


def _texts(bot: BotHarness, since: int) -> list[str]:
    return [c.params.get("text", "") for c in bot.request.calls[since:] if c.params.get("text")]


async def test_a_member_of_another_branch_is_not_told_which_branch_a_meeting_is_for(bot: BotHarness) -> None:
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]
    settings: Any = bot.application.bot_data["resources"].settings
    meeting_id = await schedule(bot.db, settings, branch_id=bot.ids.branch_a)
    before = len(bot.request.calls)
    await bot.press("B02", f"mt:{meeting_id}:att", chat_id=GROUP)
    texts = _texts(bot, before)
    assert texts == ["该会议不属于您的支部。"]
    # The other branch's secretary trying to link the same group learns only that it is taken.
    replies = await bot.say("B01", "/linkgroup", chat_id=GROUP)
    assert replies == ["本群已关联到其他支部。"]
    assert not any(name in text for text in [*texts, *replies] for name in OTHER_BRANCH_NAMES)
