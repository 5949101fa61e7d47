"""The accounts page as an administrator sees it at 1280 and 390 px (issue 12, defect 11):
« Créer un compte » shows its words, not an icon alone, and the permissions column can be read
whole (within the table at desktop width, by scrolling the table on a phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

#: The widest an icon-only DSFR button gets (2.5 rem plus borders): a labelled one is wider.
ICON_ONLY_WIDTH = 48


@pytest.mark.parametrize("width", [1280, 390])
def test_create_account_has_its_words_and_permissions_can_be_read(session_for, width):
    page = session_for("admin", width)
    page.goto("/admin/utilisateurs")
    create = page.get_by_role("link", name="Créer un compte")
    expect(create).to_be_visible()
    box = create.bounding_box()
    assert box is not None and box["width"] > ICON_ONLY_WIDTH, box
    # The label is laid out inside the button, not hidden by the icon-only styles.
    clipped = create.evaluate("a => a.scrollWidth > a.clientWidth + 1 || a.clientWidth < 60")
    assert not clipped

    header = page.get_by_role("columnheader", name="Habilitations (rôle et périmètre)")
    expect(header).to_be_visible()
    cell = page.locator("tr[data-compte='prefet.creuse'] [data-testid=habilitations]")
    expect(cell).to_contain_text("Préfet (délégué territorial) (Creuse, 23)")
    # The column comes third; on a phone the table scrolls sideways to bring it whole in view.
    cell.evaluate("td => td.scrollIntoView({block: 'center', inline: 'nearest'})")
    within = cell.evaluate(
        """td => {
            const box = td.getBoundingClientRect();
            const frame = td.closest('.fr-table__container').getBoundingClientRect();
            const fits = td.scrollWidth <= td.clientWidth + 1;
            return fits && box.left >= frame.left - 1 && box.right <= frame.right + 1
                && box.right <= window.innerWidth + 1;
        }"""
    )
    assert within, f"la colonne des habilitations est coupée à {width} px"
