"""``python -m agora_catalog``: run the catalog service."""

from agora_catalog.bootstrap import build
from agora_catalog.settings import CatalogSettings
from agora_core.runtime import serve

serve(CatalogSettings, build)
