"""The gRPC API of the catalog: the servicer (``grpc_content`` + ``grpc_learning``, which
only translate), its role policy (``grpc_policy``) and the mappings (``grpc_messages``,
``grpc_learning_messages``). Quiz answer keys are a field of the domain item that no
mapping ever reads."""

from agora_catalog.entrypoints.grpc_learning import CatalogServicer
from agora_catalog.entrypoints.grpc_policy import CATALOG_POLICY, CATALOG_SERVICE_NAME
from agora_catalog.service_layer.use_cases import UseCases

__all__ = ["CATALOG_POLICY", "CATALOG_SERVICE_NAME", "CatalogServicer", "UseCases"]
