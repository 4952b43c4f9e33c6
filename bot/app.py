"""Assembly of the PTB Application: resources opened in post_init, closed in post_shutdown, jobs with fixed ids."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot import features as registry
from bot.config import Settings
from bot.context import BranchApplication, BranchContext
from bot.db import Database
from bot.feature import Feature
from bot.outbox_worker import OutboxWorker
from bot.resources import Resources
from bot.unit import UnitApplication

log = logging.getLogger(__name__)

OUTBOX_JOB_ID = "outbox-drain"


def build_application(
    settings: Settings,
    *,
    db: Database | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    start_jobs: bool = True,
    features: Sequence[Feature] = registry.FEATURES,
) -> BranchApplication:
    """The bot of ``features`` (all of them unless a test says otherwise): their handlers registered in the
    registry's order, their menu and meeting hooks in the resources, Defaults(parse_mode=HTML, tzinfo) set once."""
    from handlers import register

    token = settings.BOT_TOKEN or "0:offline-console-token-0000000000"
    builder = (
        ApplicationBuilder()
        .application_class(UnitApplication)  # each update in one unit of work (bot/unit.py)
        .token(token)
        .base_url(settings.TELEGRAM_BASE_URL)
        .base_file_url(settings.TELEGRAM_BASE_FILE_URL)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, tzinfo=settings.tz, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .context_types(ContextTypes(context=BranchContext))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(True)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    database = db or Database(settings.DATABASE_URL)
    if rate_limit:
        # Replies and the outbox share Telegram's budget; the worker sends one at a time, so replies
        # never wait behind its backlog. Retries are the worker's job (it reschedules on RetryAfter).
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
    application: BranchApplication = builder.build()
    application.bot_data["resources"] = Resources(
        settings=settings, db=database, menu=registry.menu(features), meeting_hooks=registry.meeting_hooks(features)
    )
    application.bot_data["start_jobs"] = start_jobs
    application.bot_data["features"] = tuple(features)
    register(application, registry.handler_groups(features))
    return application


async def _post_init(application: BranchApplication) -> None:
    """Open resources: the bot's identity, the outbox worker, the periodic jobs, the command menus."""
    resources: Resources = application.bot_data["resources"]
    me = await application.bot.get_me()
    resources.bot_username = me.username or resources.settings.BOT_USERNAME or resources.bot_username
    resources.worker = OutboxWorker(
        resources.db,
        application.bot,
        rate_per_second=resources.settings.OUTBOX_RATE_PER_SECOND,
        default_locale=resources.settings.DEFAULT_LOCALE,
    )
    if application.bot_data.get("start_jobs") and application.job_queue is not None:
        schedule_jobs(application)
    from bot.menus import publish_default_menus

    await publish_default_menus(application.bot, resources.menu)


def schedule_jobs(application: BranchApplication) -> None:
    """Every periodic job, each with a fixed id so a restart replaces rather than duplicates it."""
    job_queue = application.job_queue
    assert job_queue is not None
    resources: Resources = application.bot_data["resources"]
    poll = resources.settings.OUTBOX_POLL_SECONDS
    job_queue.run_repeating(
        drain_outbox,
        interval=timedelta(seconds=poll),
        first=timedelta(seconds=0.2),
        name=OUTBOX_JOB_ID,
        job_kwargs={"id": OUTBOX_JOB_ID, "replace_existing": True, "max_instances": 1, "coalesce": True},
    )
    for job in registry.jobs(application.bot_data["features"]):
        job.schedule(application)


async def drain_outbox(context: BranchContext) -> None:
    """Job: send what is due in the outbox."""
    resources = context.resources
    if resources.worker is not None:
        # A little under the interval, so the next run is not skipped as overlapping this one.
        await resources.worker.drain(budget_seconds=resources.settings.OUTBOX_POLL_SECONDS * 0.9)


async def _post_shutdown(application: BranchApplication) -> None:
    """Close resources."""
    resources: Resources = application.bot_data["resources"]
    await resources.db.dispose()
