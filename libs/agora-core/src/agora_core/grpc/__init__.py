"""The gRPC runtime every Agora service shares.

* :mod:`.server` — ``create_grpc_server``: interceptors, health, reflection, limits.
* :mod:`.auth` — ``TokenVerifier``, ``Principal``, ``Role``, ``current_principal``.
* :mod:`.policy` — ``MethodPolicy``: which roles may call which method (fail closed).
* :mod:`.auth_interceptor`, :mod:`.error_mapping`, :mod:`.metrics_interceptor` — the
  interceptors, built on :mod:`.handler_wrapping`; metrics defined in :mod:`.metrics`.
* :mod:`.validation` — ``parse_request``, page sizes and page tokens.
* :mod:`.client` — ``bearer_metadata``; :mod:`.dev_tokens` — tokens for dev and tests;
  :mod:`.status_details` — a failed call's field violations, client side.
* :mod:`.operations_servicer` — ``agora.admin.v1.OperationsService`` (dead-letter
  replay, consumer rewind), mounted on every server by ``create_grpc_server``.
"""
