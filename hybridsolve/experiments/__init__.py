"""Experiment kinds for case files. Every module here is imported by :func:`hybridsolve.cases.kinds`
and registers its kinds with :func:`hybridsolve.cases.register_kind`."""
