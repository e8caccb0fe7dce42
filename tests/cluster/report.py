"""The numbers the suite measured, printed at the end of the run for docs/operations.md."""

from __future__ import annotations

# (fault, what clients saw, recovery time, data lost, detail)
FAULTS: list[tuple[str, str, str, str, str]] = []
SOAK: list[str] = []


def lines() -> list[str]:
    out: list[str] = []
    if FAULTS:
        out += ["", "Tested failure modes", "",
                "| fault | what clients saw | errors stopped after | data lost |", "|---|---|---|---|"]  # fmt: skip
        out += [f"| {fault} | {saw} | {recovery} | {lost} |" for fault, saw, recovery, lost, _ in FAULTS]
        out += ["", *(f"- {fault}: {detail}" for fault, _, _, _, detail in FAULTS)]
    if SOAK:
        out += ["", "Soak", "", *SOAK]
    return out
