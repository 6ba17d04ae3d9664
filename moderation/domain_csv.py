"""Reading domain-block lists in the format Mastodon imports and exports.

Mastodon's admin export (`Admin::ExportDomainBlocksController`) writes a
header `#domain,#severity,#reject_media,#reject_reports,#public_comment,
#obfuscate` and booleans as `true`/`false`; its import also takes a bare
list of domains, one per line, as blocks. Shared lists (FediBlockHole,
Oliphant) use the same columns, sometimes without the `#`.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from .models import DomainPolicy

HEADER = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
# Rails' ActiveModel::Type::Boolean: these are false, anything else true.
_FALSE = {"", "0", "f", "false", "off", "no", "n"}
_SEVERITIES = {
    "suspend": DomainPolicy.Severity.BLOCK,
    "silence": DomainPolicy.Severity.SILENCE,
    "noop": DomainPolicy.Severity.NOOP,
    # Older exports and other software.
    "none": DomainPolicy.Severity.NOOP,
    "limit": DomainPolicy.Severity.SILENCE,
}


@dataclass(frozen=True)
class Row:
    line: int
    domain: str
    severity: str = DomainPolicy.Severity.BLOCK
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    obfuscate: bool = False


@dataclass(frozen=True)
class BadRow:
    line: int
    error: str


class ListError(ValueError):
    pass


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() not in _FALSE


def parse(data: str) -> tuple[list[Row], list[BadRow]]:
    """Rows of a list, and the lines that could not be read (with why).
    ListError if the whole file is unusable."""
    if len(data.encode()) > MAX_BYTES:
        raise ListError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    data = data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(data))
    rows: list[Row] = []
    bad: list[BadRow] = []
    header: list[str] | None = None
    for number, cells in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise ListError(f"the file has more than {MAX_ROWS} rows")
        if not cells or not any(cell.strip() for cell in cells):
            continue
        names = [cell.strip().lower().lstrip("#") for cell in cells]
        if header is None and "domain" in names:
            header = names
            continue
        values = dict(zip(header or ["domain"], cells, strict=False))
        domain = (values.get("domain") or "").strip()
        if not domain or domain.startswith("#"):
            continue  # a comment line in a bare list
        severity_text = (values.get("severity") or "suspend").strip().lower()
        severity = _SEVERITIES.get(severity_text)
        if severity is None:
            bad.append(BadRow(number, f"{domain}: unknown severity “{severity_text}”"))
            continue
        rows.append(
            Row(
                line=number,
                domain=domain,
                severity=severity,
                reject_media=_flag(values.get("reject_media")),
                reject_reports=_flag(values.get("reject_reports")),
                public_comment=(
                    values.get("public_comment") or values.get("comment") or ""
                ).strip()[:500],
                obfuscate=_flag(values.get("obfuscate")),
            )
        )
    return rows, bad


def _bool(value: bool) -> str:
    return "true" if value else "false"


def export(policies: Iterable[DomainPolicy]) -> str:
    """The policies as Mastodon's export: the header, then one row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for policy in policies:
        writer.writerow(
            [
                policy.domain,
                policy.severity,
                _bool(policy.reject_media),
                _bool(policy.reject_reports),
                policy.public_reason,
                _bool(policy.obfuscate),
            ]
        )
    return buffer.getvalue()
