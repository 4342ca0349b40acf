"""cxsim: customers journeying through competing dealerships."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Result", "RunConfig", "build_model", "collect", "load_config", "simulate"]

# Loaded on first use, so that the command starts (and handles Ctrl-C) before
# the model's imports (Mesa, scipy) take their second.
_LAZY = {"Result": "cxsim.api", "build_model": "cxsim.api", "collect": "cxsim.api",
         "simulate": "cxsim.api", "load_config": "cxsim.compose", "RunConfig": "cxsim.config"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cxsim' has no attribute {name!r}")
