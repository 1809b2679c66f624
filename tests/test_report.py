"""PDF briefs, checked as a reader's machine would: pypdf, pdffonts, pypdfium2 and qpdf."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS

pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")
pytest.importorskip("typst")

HOSTILE = ("<b>", '#import "/etc/passwd"', "]", "$x$", '<img src="/etc/passwd">')


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hengzhong() -> am.MatchResult:
    inv = am.Inventory.demo()
    return am.match(am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"]), inventory=inv)


@pytest.fixture(scope="module")
def pdfs(hengzhong: am.MatchResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    return {
        lang: hengzhong.to_pdf(out / f"hengzhong_{lang}.pdf", lang=lang) for lang in ("zh", "en")
    }


def _plain_sites(names: tuple[str, ...]) -> Any:
    """Hand-built sites in a projected CRS (metres), no inventory, no firms."""
    import geopandas as gpd
    from shapely.geometry import box

    n = len(names)
    return gpd.GeoDataFrame(
        {
            "asset_id": [f"X-{i}" for i in range(n)],
            "name": list(names),
            "kind": ["factory"] * n,
            "district": ["杏东"] * n,
            "status": ["idle"] * n,
            "tenure": [["lease"]] * n,
            "building_area_m2": [20_000.0 + 1000 * i for i in range(n)],
            "rent_yuan_m2_month": [10.0 + i for i in range(n)],
            "owner": ["$owner#"] * n,
            "contact": ["<contact>"] * n,
        },
        geometry=[
            box(380_000 + 600 * i, 2_765_000, 380_400 + 600 * i, 2_765_300) for i in range(n)
        ],
        crs="EPSG:4549",
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[am.MatchResult, Path]:
    res = am.match(
        {"investor": "<b>Investor</b> #set page(width: 1cm)", "tenure": ["lease"]},
        assets=_plain_sites(HOSTILE),
        as_of="2025-03-01",
        lang="en",
    )
    path = tmp_path_factory.mktemp("hostile") / "hostile.pdf"
    return res, res.to_pdf(path, lang="en")


# ---------------------------------------------------------------------- helpers


def _fonts(path: Path) -> list[tuple[str, bool]]:
    """(base font, embedded) of every font on every page, descendant fonts included."""
    out = []
    reader = pypdf.PdfReader(path)
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            targets = [font]
            if "/DescendantFonts" in font:
                targets = [d.get_object() for d in font["/DescendantFonts"]]
            for t in targets:
                desc = t.get("/FontDescriptor")
                desc = desc.get_object() if desc is not None else {}
                embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                out.append((str(t["/BaseFont"]), embedded))
    return out


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)


# ---------------------------------------------------------------------- reader checks


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_font_is_embedded_and_one_is_cjk(pdfs: dict[str, Path], lang: str) -> None:
    fonts = _fonts(pdfs[lang])
    assert fonts
    assert all(emb for _, emb in fonts), [f for f, emb in fonts if not emb]
    assert any("CJK" in name for name, _ in fonts)


@pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="poppler-utils' pdffonts not installed"
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdffonts_sees_every_font_embedded(pdfs: dict[str, Path], lang: str) -> None:
    out = subprocess.run(
        ["pdffonts", str(pdfs[lang])], capture_output=True, text=True, check=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        # columns: name type encoding emb sub uni object ID
        emb = re.split(r"\s+", row.strip())[-5]
        assert emb == "yes", row


def test_chinese_text_extracts_with_names_and_figures(
    pdfs: dict[str, Path], hengzhong: am.MatchResult
) -> None:
    text = _text(pdfs["zh"])
    for name in hengzhong.table["name"]:
        assert name in text
    top = hengzhong.table.iloc[0]
    assert f"{top['score']:.3f}" in text
    assert "168 亩" in text and "60,000" in text
    assert "福建衡中教育科技集团" in text  # the investor as published
    for head in ("选址简报", "推荐名单", "各项得分", "入驻时间估算", "租金变化", "附录"):
        assert head in text


def test_english_text_extracts(pdfs: dict[str, Path], hengzhong: am.MatchResult) -> None:
    text = _text(pdfs["en"])
    assert "Site-selection brief" in text and "Shortlist" in text
    assert "168 mu" in text
    assert "TS-0001" in text
    for score in hengzhong.table["score"]:
        assert f"{score:.3f}" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_to_a_picture_that_is_not_blank(
    pdfs: dict[str, Path], lang: str, hengzhong: am.MatchResult
) -> None:
    doc = pdfium.PdfDocument(str(pdfs[lang]))
    try:
        # cover, overview and table, one page per site, near misses and appendix
        assert len(doc) >= 3 + len(hengzhong.table)
        for i in range(len(doc)):
            img = np.asarray(doc[i].render(scale=0.5).to_pil().convert("L"))
            h = img.shape[0]
            body = img[int(h * 0.07) : int(h * 0.93)]  # without the running header and footer
            ink = np.count_nonzero(body < 200) / body.size
            assert ink > 0.002, f"page {i + 1} is blank"
    finally:
        doc.close()


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_qpdf_check_passes(pdfs: dict[str, Path], lang: str) -> None:
    run = subprocess.run(["qpdf", "--check", str(pdfs[lang])], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_site_pages_carry_maps_and_charts_as_vectors(pdfs: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(pdfs["en"])
    # a site page: the map and the charts are drawn (paths), not pasted as pictures
    page = reader.pages[2]
    content = page.get_contents().get_data()
    assert content.count(b" re") + content.count(b" l\n") + content.count(b" c\n") > 200


# ---------------------------------------------------------------------- data stays data


def test_hostile_names_print_literally_and_read_no_file(
    hostile: tuple[am.MatchResult, Path],
) -> None:
    _res, path = hostile
    text = _text(path)
    for name in HOSTILE:
        assert name in text, name
    assert "<b>Investor</b> #set page(width: 1cm)" in text
    assert "$owner#" in text and "<contact>" in text
    raw = path.read_bytes()
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first = passwd.read_text().splitlines()[0]
        assert first.encode() not in raw and first not in text
    # the page size was not changed by the investor's name
    box = pypdf.PdfReader(path).pages[0].mediabox
    assert round(float(box.width)) == 595


def test_same_inputs_give_the_same_bytes(
    hostile: tuple[am.MatchResult, Path], tmp_path: Path
) -> None:
    res, path = hostile
    again = res.to_pdf(tmp_path / "again.pdf", lang="en")
    assert again.read_bytes() == path.read_bytes()


def test_the_pdf_is_dated_by_the_match_date(hostile: tuple[am.MatchResult, Path]) -> None:
    _res, path = hostile
    meta = pypdf.PdfReader(path).metadata
    assert meta.creation_date is not None
    assert meta.creation_date.date().isoformat() == "2025-03-01"


# ---------------------------------------------------------------------- errors


def test_an_unknown_language_is_refused(
    hostile: tuple[am.MatchResult, Path], tmp_path: Path
) -> None:
    res, _ = hostile
    with pytest.raises(am.ValidationError, match="'zh' or 'en'"):
        res.to_pdf(tmp_path / "x.pdf", lang="fr")
    assert not (tmp_path / "x.pdf").exists()


def test_a_missing_folder_is_a_report_error(
    hostile: tuple[am.MatchResult, Path], tmp_path: Path
) -> None:
    res, _ = hostile
    with pytest.raises(am.ReportError, match="Cannot write the report"):
        res.to_pdf(tmp_path / "no" / "such" / "x.pdf", lang="en")


def test_a_missing_font_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, hostile: tuple[am.MatchResult, Path], tmp_path: Path
) -> None:
    from assetmatch.report import fonts, layout

    res, _ = hostile
    fonts.cjk_font.cache_clear()
    layout._fonts.cache_clear()
    monkeypatch.setattr(fonts, "FONT_PACKAGE", ("no-such-font-package", "no_such_font_package"))
    try:
        with pytest.raises(am.ReportError, match=r'pip install "assetmatch\[report\]"'):
            res.to_pdf(tmp_path / "x.pdf", lang="en")
    finally:
        fonts.cjk_font.cache_clear()
        layout._fonts.cache_clear()
    assert not (tmp_path / "x.pdf").exists()


def test_what_if_and_robustness_are_in_the_report(
    pdfs: dict[str, Path], hengzhong: am.MatchResult
) -> None:
    zh, en = _text(pdfs["zh"]), _text(pdfs["en"])
    assert "假如放宽条件" in zh and "排名稳健性" in zh
    assert "What if a condition were relaxed" in en and "Robustness of the ranking" in en
    first = hengzhong.what_if("zh")["text"].iloc[0]
    # the sentence of the smallest relaxation, as the library words it (text extraction may
    # break the line: compare without whitespace)
    assert first.replace(" ", "")[:20] in zh.replace(" ", "").replace("\n", "")
    rob = hengzhong.robustness()
    share = f"{float(rob['top_k_share'].iloc[0]) * 100:.0f}%"
    assert share in zh and ("稳健" in zh or "易变" in zh)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cover_names_what_was_not_evaluated_once_and_shows_each_sites_own_reasons(
    tmp_path: Path, lang: str
) -> None:
    # no firms and no layers: synergy, protection distances and access cannot be scored, for
    # any site; the cover's cards keep their lines for the sites' own reasons
    res = am.match(
        {"investor": "T", "industry": "C39", "building_area_m2": [15_000, 30_000]},
        assets=_plain_sites(("甲厂", "乙厂", "丙厂")),
        as_of="2025-03-01",
        lang=lang,
    )
    names = list(res._unevaluated(lang)["name"])
    assert len(names) >= 2
    cover = pypdf.PdfReader(res.to_pdf(tmp_path / "r.pdf", lang=lang)).pages[0].extract_text()
    flat = re.sub(r"\s+", "", cover)
    lead = "所有场地均未评估" if lang == "zh" else "Notevaluatedforanysite"
    assert flat.count(lead) == 1
    sentence = flat[flat.index(lead) :]
    for name in names:  # each criterion named in that one sentence
        assert re.sub(r"\s+", "", name) in sentence
    for why in res._unevaluated(lang)["reason"]:  # the cards no longer repeat them per site
        assert re.sub(r"\s+", "", why) not in flat
    # the first site's card shows its building-area reason, as the explanation words it
    e = res.explain(res.table["asset_id"].iloc[0], lang=lang)
    reason = e.contributions.loc["building", "reason"]
    assert re.sub(r"\s+", "", reason)[:12] in flat


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_site_facts_name_the_land_use_in_its_classification(
    pdfs: dict[str, Path], hengzhong: am.MatchResult, lang: str
) -> None:
    from assetmatch.domain import landuse

    flat = re.sub(r"\s+", "", _text(pdfs[lang]))
    frame = hengzhong.features.frame
    for aid in hengzhong.table["asset_id"]:
        row = frame.iloc[hengzhong.features.position(aid)]
        lu = landuse.resolve(row["land_use"], row["land_use_scheme"])
        name = lu.name_zh if lang == "zh" else lu.name_en
        assert re.sub(r"\s+", "", f"{row['land_use']} {name}") in flat
