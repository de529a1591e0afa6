"""What the test clients call the app: local mode answers only a loopback Host."""

from __future__ import annotations

LOOPBACK = "http://127.0.0.1"
