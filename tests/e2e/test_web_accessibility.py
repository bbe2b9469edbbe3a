"""Accessibility basics of the workbench, checked in the browser with axe-core (vendored
from the npm registry): no serious or critical violations on the sign-in, worklist,
tenancy and approvals pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
    }""")
    return list(result)


def test_pages_have_no_serious_accessibility_violations(served, new_page):
    page = new_page()
    page.goto(served.url + "/login")
    assert violations(page) == []
    sign_in(page, served.url, "tess")
    for path in ("/worklist", "/tenancy/T1", "/tenancy/T9", "/approvals", "/suspense"):
        page.goto(served.url + path)
        assert violations(page) == [], path
