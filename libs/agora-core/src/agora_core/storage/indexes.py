"""Indexes are declared next to the code that queries them and created at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from agora_core.storage.mongo import Document


@dataclass(frozen=True)
class IndexSpec:
    """One index. Tenant data indexes must start with ``tenant_id`` (checked)."""

    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    name: str | None = None
    tenant_scoped: bool = True
    options: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("an index needs at least one key")
        if self.tenant_scoped and self.keys[0][0] != "tenant_id":
            raise ValueError(
                f"index {self.keys!r} must start with tenant_id (tenant isolation rule)"
            )

    def model(self) -> IndexModel:
        name = self.name or "_".join(f"{k}_{d}" for k, d in self.keys)
        return IndexModel(list(self.keys), unique=self.unique, name=name, **self.options)


async def ensure_indexes(
    collection: AsyncCollection[Document], specs: Sequence[IndexSpec]
) -> list[str]:
    """Create the declared indexes (idempotent: existing identical ones are kept).

    One ``createIndexes`` command per index: FerretDB 1.24 fails (a server panic that
    drops the connection) when one command lists several indexes of which some already
    exist, which is every restart. MongoDB accepts either form.
    """
    names: list[str] = []
    for spec in specs:
        names.extend(await collection.create_indexes([spec.model()]))
    return names
