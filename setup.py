"""Packaging beyond what pyproject.toml can say: the top-level ``cases/`` folder (the case files
the README and docs name as ``cases/<name>.toml``) is installed as ``hybridsolve/_cases/``, so that
``hybridsolve list`` and ``hybridsolve run <name>`` work from an installed package. Everything else
is in pyproject.toml. (``benchmarks/`` is not installed: it runs from a checkout.)"""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["hybridsolve", "hybridsolve.*"]) + ["hybridsolve._cases"],
    package_dir={"hybridsolve._cases": "cases"},
    package_data={"hybridsolve._cases": ["*.toml"]},
)
