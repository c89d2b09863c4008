"""Qt widgets only: pages, widgets, theme, translations."""
