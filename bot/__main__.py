"""``python -m bot`` and the ``branchbot`` console script."""

from bot import collector


def main() -> None:
    """Run the command line, the collector paused while it starts (bot/collector.py)."""
    collector.pause_for_start_up()
    from bot.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
