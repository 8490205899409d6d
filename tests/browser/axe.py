"""axe-core in the browser tests: accessibility rules run in the page itself.

``tests/browser/vendor/axe.min.js`` is axe-core 4.14.1, vendored as published on npm
(``npm install axe-core@4.14.1``; ``node_modules/axe-core/axe.min.js``, MPL-2.0, its LICENSE
beside it), so the tests need no network. To update: install another version the same way,
copy the file, and change ``AXE_VERSION``.
"""

from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def axe_violations(page, impacts=SERIOUS) -> list[dict]:
    """Run axe on ``page`` as it is now; the violations of ``impacts``, each with its nodes.

    Evaluated through the DevTools protocol, so the page's Content-Security-Policy (no inline
    script) does not stop it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return {version: axe.version, violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }))};
        }"""
    )
    assert result["version"] == AXE_VERSION
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(violations) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}): {len(v['nodes'])}\n  " + "\n  ".join(v["nodes"])
        for v in violations
    )
