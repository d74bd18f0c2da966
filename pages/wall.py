"""The wall screen (?mode=wall): boards of counts that refresh in place and rotate; see ui/wall.py."""

from ui import shell, wall

shell.page("viewer")  # the wall needs no sign-in; through the router when opened straight from this file
wall.show()
