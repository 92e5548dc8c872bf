"""The printable patient handout: HTML and a PDF checked by rendering it to an image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from tests.conftest import run_cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_pdf_handout_renders_with_the_patients_dates(tmp_path: Path) -> None:
    out = tmp_path / "handout.pdf"
    result = run(
        "plan", "--demo", "--handout", str(out), "--patient", "Ana Müller 王芳", "--clinic", "Demo",
        "--printed-on", "2026-11-25",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = pdfium.PdfDocument(str(out))
    assert len(document) >= 1
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    for expected in ("Ana Müller 王芳", "Monday 7 December 2026", "Monday 1 March 2027",
                     "Monday 30 November 2026", "Stop retinoids", "Call the clinic",
                     "Mineral sunscreen"):  # fmt: skip
        assert expected in text, expected
    # Printed on 25 November: the step due on 23 November has passed.
    assert "Monday 23 November 2026" not in text
    image = document[0].render(scale=1).to_pil().convert("L")
    image.save(tmp_path / "handout-page-1.png")
    dark = sum(image.histogram()[:128])
    assert image.size[0] > 500 and dark > 0.01 * image.size[0] * image.size[1]


def test_html_handout_is_escaped_and_complete(tmp_path: Path) -> None:
    out = tmp_path / "handout.html"
    result = run(
        "plan", "--demo", "--handout", str(out), "--patient", "<script>alert(1)</script>",
        "--printed-on", "2026-11-25",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Monday 7 December 2026" in html and "Before each session" in html


@pytest.mark.parametrize(
    ("name", "words"),
    [("handout.docx", ".html or .pdf"), ("missing/handout.pdf", "does not exist")],
)
def test_bad_handout_paths_exit_two(tmp_path: Path, name: str, words: str) -> None:
    result = run("plan", "--demo", "--handout", str(tmp_path / name))
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
