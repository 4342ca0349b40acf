"""cxsim's Hydra plugins: the sweeper (``hydra/sweeper=cxsim``, the default in
``conf/config.yaml``) and a local process-pool launcher (``hydra/launcher=cores``).

Hydra only instantiates plugins from the ``hydra_plugins`` package, hence their place.
"""
