"""The outcome form under policy version 2: the Goodman & Baron quantitative score asks for
hypertrophic or keloidal scarring by the area involved (a list of levels with their points) and
scores it live."""

from __future__ import annotations

from tests.web.conftest import Clinic
from tests.web.web_helpers import token

LESIONS = (
    "macular", "mildly_atrophic", "moderately_atrophic", "punched_out_shallow",
    "shallow_broad_atrophic", "punched_out_deep_normal", "punched_out_deep_abnormal",
    "linear_troughed", "deep_broad_atrophic", "papular",
)  # fmt: skip


def test_the_goodman_form_offers_the_area_levels(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    page = client.get("/outcomes/scale", params={"scale": "goodman_quantitative"})
    assert page.status_code == 200
    assert "Hypertrophic or keloidal scarring, by the area involved" in page.text
    for level in ("0: None (0 points)", "1: Area &lt; 5 cm² (6 points)",
                  "2: Area 5–20 cm² (12 points)", "3: Area &gt; 20 cm² (18 points)"):  # fmt: skip
        assert level in page.text


def test_the_live_score_adds_the_area_points(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    headers = {"HX-Request": "true", "X-CSRF-Token": token(client)}
    data = {"scale": "goodman_quantitative", **{f"input.{name}": "0" for name in LESIONS}}
    data["input.macular"] = "5"
    done = client.post(
        "/outcomes/score", data={**data, "input.hypertrophic_keloid": "3"}, headers=headers
    )
    assert '<strong id="live-total">19</strong>' in done.text
    bad = client.post(
        "/outcomes/score", data={**data, "input.hypertrophic_keloid": "7"}, headers=headers
    )
    assert "must be 0–3, got 7" in bad.text
