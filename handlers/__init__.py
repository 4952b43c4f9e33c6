"""The Telegram layer: one module per feature, all registered by :func:`handlers.register`."""
