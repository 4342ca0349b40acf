"""cxsim: customers journeying through competing dealerships."""

from cxsim.api import Result, build_model, collect, simulate
from cxsim.compose import load_config
from cxsim.config import RunConfig

__version__ = "0.1.0"
__all__ = ["Result", "RunConfig", "build_model", "collect", "load_config", "simulate"]
