"""Domain services: rules about members, meetings, birthdays, service hours… Nothing here knows Telegram."""
