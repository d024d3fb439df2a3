"""The local OpenID Connect provider of agora-core's tests, for the browser test.

It lives beside the gRPC tests that introduced it (``libs/agora-core/tests/core_grpc/
oidc_provider.py``, with its pinned npm package); loaded from there by path rather than
copied, since that test folder is not an importable package from here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

_MODULE = "agora_test_oidc_provider"
_PATH = Path(__file__).resolve().parents[2] / "libs/agora-core/tests/core_grpc/oidc_provider.py"

if TYPE_CHECKING:
    from core_grpc.oidc_provider import OidcProvider, running_provider
else:
    _spec = importlib.util.spec_from_file_location(_MODULE, _PATH)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_MODULE] = _module  # dataclasses resolve annotations through it
    _spec.loader.exec_module(_module)
    OidcProvider = _module.OidcProvider
    running_provider = _module.running_provider

__all__ = ["OidcProvider", "running_provider"]
