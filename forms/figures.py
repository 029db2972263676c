"""How much the merge saves (材料精简率), as shown to admins."""

from __future__ import annotations

from dataclasses import dataclass

from .materials import MaterialSet
from .merge import MergedForm


@dataclass(frozen=True)
class MergeFigures:
    """Fields and materials asked once, against what the items would ask one by one."""

    fields_asked: int
    fields_total: int
    materials_asked: int
    materials_total: int

    @property
    def field_ratio(self) -> float:
        return self.fields_asked / self.fields_total if self.fields_total else 1.0

    @property
    def material_ratio(self) -> float:
        return self.materials_asked / self.materials_total if self.materials_total else 1.0

    @property
    def field_reduction(self) -> float:
        """Share of item fields the applicant no longer fills in (表单精简率)."""
        return 1.0 - self.field_ratio

    @property
    def material_reduction(self) -> float:
        """Share of item materials the applicant no longer hands in (材料精简率)."""
        return 1.0 - self.material_ratio


def merge_figures(form: MergedForm, materials: MaterialSet) -> MergeFigures:
    """Theme questions are not item fields and are left out of both field counts."""
    return MergeFigures(
        fields_asked=form.fields_asked,
        fields_total=form.item_field_total,
        materials_asked=materials.materials_asked,
        materials_total=materials.item_material_total,
    )
