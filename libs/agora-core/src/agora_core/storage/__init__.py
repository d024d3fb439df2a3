"""MongoDB storage: client factory, indexes declared in code, tenant-scoped repositories."""

from agora_core.storage.indexes import IndexSpec, ensure_indexes
from agora_core.storage.mongo import Document, create_mongo_client, ping
from agora_core.storage.ports import DocumentStore
from agora_core.storage.tenancy import TenantRepository, require_tenant

__all__ = [
    "Document",
    "DocumentStore",
    "IndexSpec",
    "TenantRepository",
    "create_mongo_client",
    "ensure_indexes",
    "ping",
    "require_tenant",
]
