"""Who is calling, cached in the process: the member behind a Telegram account and the branch of a group chat.

Looking the caller up cost a database session on every update (most of what /help costs). The answers are kept
here and thrown away whenever the roster may have changed:

- every transaction that changes a member or an organisation (binding, unbinding, transfer, an import, a role or
  language, a linked group), in any process — the bot, a replica, the command line — writes a new roster version
  in the same transaction (storage/core.py). Each update reads that one row in the short transaction that reads
  the person's flow state anyway (bot/unit.py), and the cache empties itself when it differs: a change is seen
  by the very next update, whichever process made it;
- a change committed by this process also counts at once (a local counter), so a look-up that raced with it is
  not kept.

Services re-check permissions against the database for every decision, so the cache only decides menus, the
language and the role gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.access import Actor
from storage.core import local_roster_changes

CallerKey = tuple[int | None, int | None]  # (Telegram user id, group chat id or None)
_NONE_YET = object()


@dataclass(frozen=True)
class CachedCaller:
    """What the database said about one (user, group) pair; the actor's locale is decided per update."""

    actor: Actor | None  # with the member's own language as locale ("" when they chose none)
    chat_branch_id: int | None


@dataclass
class CallerCache:
    """Callers by (user, group chat), valid while the stored roster version and the local count are unchanged."""

    enabled: bool = True
    max_entries: int = 50_000
    _entries: dict[CallerKey, CachedCaller] = field(default_factory=dict)
    _version: object = _NONE_YET  # the stored roster version the entries were looked up under
    _local: int = -1  # local_roster_changes() then
    hits: int = 0
    misses: int = 0

    def get(self, key: CallerKey, version: object) -> CachedCaller | None:
        """The cached caller, if the roster is still at ``version`` (read in this update) and unchanged here."""
        if not self.enabled or version != self._version or self._local != local_roster_changes():
            self._entries.clear()
            self.misses += 1
            return None
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def knows(self, key: CallerKey) -> bool:
        """Whether ``key`` has an entry (valid or not): when it has none, the update's first statement reads the
        member too (bot/unit.py), so that a new caller costs no look-up of its own."""
        return self.enabled and key in self._entries

    def put(self, key: CallerKey, caller: CachedCaller, version: object, valid_for: int) -> None:
        """Keep ``caller``, looked up at roster ``version`` with ``valid_for`` local changes (taken before the
        look-up began), unless this process changed the roster since."""
        if not self.enabled or valid_for != local_roster_changes():
            return
        if version != self._version or valid_for != self._local:
            self._entries.clear()
            self._version, self._local = version, valid_for
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare (a city's members fit); simpler than an LRU and always correct
        self._entries[key] = caller

    def clear(self) -> None:
        self._entries.clear()
        self._version, self._local = _NONE_YET, -1
