"""Ledgers (台账), charts, meeting records and monthly digests: the paperwork done by the bot.

- :mod:`.period` — the period and the organisation asked for, checked (subtree, at most three years);
- :mod:`.data` — everything a ledger needs, read set-based through :mod:`storage.ledger`;
- :mod:`.sheets` — the sheets as rows; :mod:`.workbook` — the streamed ``.xlsx``;
- :mod:`.charts` — the PNG pictures; :mod:`.record_docx` — a meeting's record as ``.docx``;
- :mod:`.digest` — the monthly digest.

XlsxWriter, Pillow and python-docx are imported inside the functions that use them: start-up stays fast.
"""
