"""cxsim's Hydra sweeper (``hydra/sweeper=cxsim``, the default in ``conf/config.yaml``)."""
