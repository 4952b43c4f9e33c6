"""Assembly of the PTB Application: resources opened in post_init (closed by the application's own stop() and
shutdown(), bot/unit.py), jobs with fixed ids."""

from __future__ import annotations

import dataclasses
import logging
import ssl
from collections.abc import Sequence

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot import features as registry
from bot import tls
from bot.config import Settings
from bot.context import BranchApplication, BranchContext
from bot.db import Database
from bot.feature import Feature
from bot.offline import OfflineRequest
from bot.outbox_worker import OutboxWorker
from bot.outgoing import OutgoingApplication, OutgoingBot
from bot.resources import Resources
from bot.send_limiter import SendLimiter, SharedRateLimiter
from bot.updates import DurableUpdateQueue

log = logging.getLogger(__name__)


def _tls() -> ssl.SSLContext:
    return tls.context()  # certifi's bundle (or SSL_CERT_FILE / SSL_CERT_DIR), as httpx would; loaded once


def telegram_request(connection_pool_size: int) -> HTTPXRequest:
    """An HTTP client for the Bot API. They share one TLS context: each would otherwise load the certificate
    bundle anew (0.1-0.3 s of CPU each at start-up)."""
    return HTTPXRequest(connection_pool_size=connection_pool_size, httpx_kwargs={"verify": _tls()})


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
    database = db or Database(settings.DATABASE_URL)
    # One limiter for replies (PTB's bot) and pushes (the outbox): Telegram's budget, replies first.
    limiter = SendLimiter(settings.TELEGRAM_RATE_PER_SECOND, paced=rate_limit)
    # Every message leaves through the send boundary (bot/outgoing.py); the requests are the builder's defaults.
    bot = OutgoingBot(
        token,
        base_url=settings.TELEGRAM_BASE_URL,
        base_file_url=settings.TELEGRAM_BASE_FILE_URL,
        request=request or telegram_request(256),
        get_updates_request=get_updates_request or telegram_request(1),
        defaults=Defaults(
            parse_mode=ParseMode.HTML, tzinfo=settings.tz, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        rate_limiter=SharedRateLimiter(limiter) if rate_limit else None,
        default_locale=settings.DEFAULT_LOCALE,
    )
    builder = (
        ApplicationBuilder()
        .application_class(OutgoingApplication)  # each update in one unit of work (bot/unit.py), its origin known
        .bot(bot)
        .context_types(ContextTypes(context=BranchContext))
        .post_init(_post_init)  # the application's stop() and shutdown() close what it opens (bot/unit.py)
        .concurrent_updates(True)
    )
    # Each update is stored before Telegram hears it was delivered, and replayed after a crash (bot/updates.py).
    update_queue = DurableUpdateQueue(database)
    builder = builder.update_queue(update_queue)
    application: BranchApplication = builder.build()
    application.bot_data["send_limiter"] = limiter
    application.bot_data["resources"] = Resources(
        settings=settings, db=database, menu=registry.menu(features), meeting_hooks=registry.meeting_hooks(features)
    )
    application.bot_data["start_jobs"] = start_jobs
    application.bot_data["update_queue"] = update_queue
    application.bot_data["features"] = tuple(features)
    register(application, registry.handler_groups(features))
    return application


async def _post_init(application: BranchApplication) -> None:
    """Open resources: the bot's identity, the outbox worker, the periodic jobs, the command menus."""
    resources: Resources = application.bot_data["resources"]
    # Updates stored and not handled before a restart go first, before the updater fetches new ones.
    await application.bot_data["update_queue"].replay(application.bot)
    me = application.bot.bot  # asked for (getMe) by Application.initialize, before this hook
    resources.bot_username = me.username or resources.settings.BOT_USERNAME or resources.bot_username
    resources.env = dataclasses.replace(resources.env, bot_username=resources.bot_username)
    settings = resources.settings
    resources.worker = OutboxWorker(
        resources.db,
        application.bot,
        limiter=application.bot_data["send_limiter"],
        default_locale=settings.DEFAULT_LOCALE,
        lease_seconds=settings.OUTBOX_LEASE_SECONDS,
        poll_seconds=settings.OUTBOX_POLL_SECONDS,
    )
    if application.bot_data.get("start_jobs") and application.job_queue is not None:
        schedule_jobs(application)
        resources.worker.start()  # the outbox sender runs until the application stops
        # The default menus wait until the bot polls: the job queue starts after the updater's first getUpdates.
        application.job_queue.run_once(
            _publish_default_menus, when=1, name="default-menus", job_kwargs={"id": "default-menus"}
        )
    else:  # not polling (tests, the console): at once
        await _publish_default_menus(application)


async def _publish_default_menus(application_or_context: BranchApplication | BranchContext) -> None:
    from bot.menus import publish_default_menus

    await publish_default_menus(application_or_context.bot, application_or_context.bot_data["resources"].menu)


def schedule_jobs(application: BranchApplication) -> None:
    """Every periodic job, each with a fixed id so a restart replaces rather than duplicates it."""
    for job in registry.jobs(application.bot_data["features"]):
        job.schedule(application)


async def started_offline(settings: Settings, db: Database) -> tuple[BranchApplication, OfflineRequest]:
    """The real application with no network and no scheduler, initialised and opened as ``branchbot run`` opens it
    (post_init): the tests' harness, a second process in a test, the benchmarks. The caller shuts it down."""
    request = OfflineRequest()
    application = build_application(
        settings, db=db, request=request, get_updates_request=OfflineRequest(), rate_limit=False, start_jobs=False
    )
    await application.initialize()
    await _post_init(application)
    return application, request
