"""The add-ons' requests, exactly as they build them, and the checks on what they read.

JSON request fixtures live in `requests/` (one file per request shape, with where it comes
from); the multipart upload is built here byte for byte the way the add-on API client's
Apps Script does (fixed boundary, one `file` part typed `application/pdf`, no CRLF after
the closing boundary).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

REQUESTS_DIR = Path(__file__).parent / "requests"
BOUNDARY = "----SheetBrainBoundary"
# What UrlFetchApp sends as User-Agent.
APPS_SCRIPT_USER_AGENT = (
    "Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; "
    "id: UAEmdDd-test)"
)
RISK_LEVELS = {"high", "medium", "low"}
A1_CELL = re.compile(r"^\$?[A-Z]{1,3}\$?[1-9][0-9]*$")


@dataclass(frozen=True)
class AddonRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    expect: dict[str, Any] = field(default_factory=dict)


def load_request(name: str, **placeholders: str) -> AddonRequest:
    """A request fixture, with `{placeholder}` strings in its body filled in."""
    raw = (REQUESTS_DIR / f"{name}.json").read_text()
    for key, value in placeholders.items():
        raw = raw.replace("{" + key + "}", value)
    data = json.loads(raw)
    return AddonRequest(
        method=data["method"],
        path=data["path"],
        headers=data["headers"],
        body=data["body"],
        expect=data.get("expect", {}),
    )


async def replay(
    client: AsyncTestClient[Litestar], request: AddonRequest, token: str | None
) -> httpx.Response:
    """Sends the request as UrlFetchApp does: JSON.stringify'd payload, bearer token."""
    headers = {**request.headers, "User-Agent": APPS_SCRIPT_USER_AGENT}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.request(
        request.method, request.path, headers=headers, content=json.dumps(request.body)
    )


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (what a policy exported from Docs boils down to)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def addon_multipart(file_name: str, pdf: bytes) -> tuple[dict[str, str], bytes]:
    """The add-on API client's upload: headers and body bytes, as its Apps Script builds them:
    `'--' + boundary + '\\r\\n' + disposition + type + '\\r\\n\\r\\n'` + file bytes +
    `'\\r\\n--' + boundary + '--'`."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body = head + pdf + f"\r\n--{BOUNDARY}--".encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "User-Agent": APPS_SCRIPT_USER_AGENT,
    }
    return headers, body


def assert_error_body(response: httpx.Response, status: int) -> None:
    """On non-200 the add-ons show `error`, a string."""
    assert response.status_code == status
    body = response.json()
    assert isinstance(body["error"], str)
    assert body["error"]


def assert_client_error(response: httpx.Response) -> None:
    """Bad input is the caller's fault (4xx, never 5xx), explained in `error`."""
    assert 400 <= response.status_code < 500
    assert_error_body(response, response.status_code)


def assert_result_entry(entry: dict[str, Any]) -> None:
    """Every field the add-ons read from one `results[]` entry, with its type."""
    assert "cell" in entry
    assert isinstance(entry["formula"], str)
    # Both sidebars count `results.filter(r => r.compliant)` and draw the badge from it.
    assert isinstance(entry["compliant"], bool)
    assert entry["riskLevel"] in RISK_LEVELS
    assert isinstance(entry["issues"], list)
    assert all(isinstance(issue, str) for issue in entry["issues"])
    assert isinstance(entry["recommendation"], str)
    if "suggestedFormula" in entry:
        # The "Apply suggestion" button writes it into the cell: a formula, never null.
        assert isinstance(entry["suggestedFormula"], str)
        assert entry["suggestedFormula"].startswith("=")
