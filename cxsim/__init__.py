"""cxsim: customers journeying through competing dealerships."""

__version__ = "0.1.0"
