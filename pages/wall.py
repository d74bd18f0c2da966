"""The wall screen (?mode=wall): boards of counts that refresh in place and rotate; see ui/wall.py."""

from ui import shell, wall

shell.context()  # goes through the router when opened straight from this file
wall.show()
