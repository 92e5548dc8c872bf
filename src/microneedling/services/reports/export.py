"""A report's tables, for CSV export and plain-text printing: each list of rows in the report
is a table named by its key (``months``, ``by_lot`` …), the other values are its figures."""

from __future__ import annotations

import csv
import io
from typing import Any

#: Cells a spreadsheet would run as a formula are written with a leading apostrophe.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def tables(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        key: value
        for key, value in report.items()
        if isinstance(value, list) and all(isinstance(row, dict) for row in value)
    }


def figures(report: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in report.items():
        if isinstance(value, dict):
            found.update({f"{key} {k}": v for k, v in value.items()})
        elif not isinstance(value, list):
            found[key] = value
    return found


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text and text.startswith(_FORMULA) and not _number(text):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def report_csv(report: dict[str, Any]) -> str:
    """The report as CSV: its figures, then each table under its name, a blank line apart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for key, value in figures(report).items():
        writer.writerow([_cell(key.replace("_", " ")), _cell(value)])
    for name, rows in tables(report).items():
        writer.writerow([])
        writer.writerow([name.replace("_", " ")])
        if rows:
            columns = list(rows[0])
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()
