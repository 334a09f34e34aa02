"""Fault injection for the tests that prove one municipality's failure holds back only that municipality.

`KKM2_FEJL=stage:kommunekode[,stage:kommunekode...]` makes `fault_point(stage, kommunekode)` raise in that
per-municipality stage. The stages: `validering` (gate 1's validator), `gx` (gate 1's GX check), `gates`
(gates 2 and 3), `udgivelse` (the municipality's building tables in a release), `tilbagemelding` (its
feedback) and `rapport` (its report page). Unset in production: then it does nothing."""

from __future__ import annotations

import os

STAGES = ("validering", "gx", "gates", "udgivelse", "tilbagemelding", "rapport")


class InjectedFault(RuntimeError):
    """Raised by fault_point when the environment asks for it."""


def fault_point(stage: str, kommunekode: str) -> None:
    spec = os.environ.get("KKM2_FEJL")
    if spec and f"{stage}:{kommunekode}" in {p.strip() for p in spec.split(",")}:
        raise InjectedFault(f"indsprøjtet fejl i {stage} for {kommunekode}")
