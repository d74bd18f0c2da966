"""What the pages draw with: the shell (router guard, filter bar), cached data access, builders."""
