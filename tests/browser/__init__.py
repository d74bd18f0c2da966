"""Real-browser tests (Chromium via Playwright); fixtures in conftest.py."""
