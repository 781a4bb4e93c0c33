"""geosim: geopolitical scenario simulation on Mesa, with Monte Carlo ensembles."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("geosim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
