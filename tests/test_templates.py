"""Every template's `{# … #}` comment closes on its own line: Django's short comment is one line only, and an
unclosed one is shown to the user as text (the dashboard printed a three-line note to every admin, issue 15)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_short_template_comment_runs_over_a_line():
    found = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.count("{#") > line.count("#}"):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == [], "use {% comment %} for a comment of several lines"
