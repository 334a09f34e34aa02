"""kkm2: the data platform behind KL's Nøgletalssamarbejde on municipal buildings."""

__version__ = "0.1.0"
