"""The TLS context of the Bot API's HTTP clients: one per process, loaded in the background at start-up.

Loading the certificate bundle (certifi's, or SSL_CERT_FILE / SSL_CERT_DIR, as httpx would) takes 50 ms of CPU,
a fifth of a second on a busy machine. OpenSSL reads it without holding the interpreter's lock, so ``branchbot
run`` starts it in a thread before importing the bot, and the two overlap on a second core.
"""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import Future

_lock = threading.Lock()
_context: Future[ssl.SSLContext] | None = None


def _load(into: Future[ssl.SSLContext]) -> None:
    import httpx

    try:
        into.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # handed to whoever asks for the context
        into.set_exception(exc)


def preload() -> None:
    """Start loading the context in a thread (once per process)."""
    global _context
    import httpx  # noqa: F401  (here, not in the thread: the two threads do not import the same modules at once)

    with _lock:
        if _context is not None:
            return
        _context = Future()
        threading.Thread(target=_load, args=(_context,), name="tls-context", daemon=True).start()


def context() -> ssl.SSLContext:
    """The context: the one being loaded, or loaded now."""
    global _context
    with _lock:
        if _context is None:
            _context = Future()
            _load(_context)
        loading = _context
    return loading.result()
