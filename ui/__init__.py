"""Building blocks the pages draw with: maps, charts, the filter bar, widgets."""
