"""The request class: a body nested too deeply to decode is the client's error.

msgspec (Litestar's JSON decoder) raises RecursionError on a body nested some
thousand levels deep. Unhandled, that was a 500 with a full traceback in the log, for
any unauthenticated caller who sent 2,000 `[`; here it is a 400 and one log line.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from sheetbrain.errors import BadRequest
from sheetbrain.log import get_logger

_log = get_logger("sheetbrain.api")


class AppRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError as exc:
            _log.warning("request_body_too_deep", path=self.url.path)
            raise BadRequest("The JSON body is nested too deeply.") from exc
