"""Connect and gRPC-Web for browsers and mobile apps, on the gRPC servicers themselves.

:func:`agora_core.grpc.server.create_grpc_server` opens this endpoint beside the gRPC
port when ``CONNECT_ENABLED`` is set (:mod:`agora_core.connect.endpoint`); why it is
built this way: ``docs/adr/0002-connect-protocol.md``. Modules: ``app`` (the ASGI
application), ``wire`` (framing), ``call`` (one call through the interceptors),
``methods`` (the servicers' handlers), ``errors``, ``cors``, ``server``, ``settings``.
"""
