"""xAPI 1.0.3: statement models, the event → statement projection, the statement schema."""

from agora_contracts.xapi.mapping import STATEMENT_NAMESPACE, projects, statement_id, to_statement
from agora_contracts.xapi.profile import TenantXapiProfile
from agora_contracts.xapi.schema import statement_schema
from agora_contracts.xapi.statement import XAPI_VERSION, Statement

__all__ = [
    "STATEMENT_NAMESPACE",
    "XAPI_VERSION",
    "Statement",
    "TenantXapiProfile",
    "projects",
    "statement_id",
    "statement_schema",
    "to_statement",
]
