"""Print the app map of docs/architecture.md as a mermaid diagram, read from .importlinter.

    .venv/bin/python docs/app_map.py > /tmp/map.md   # then paste it under "Apps and layers"

Each box is a layer of the ``layers`` contract (apps side by side in a box are
independent: neither imports the other); an arrow means "may import", and a
layer may import every layer below it, not only the next. Forbidden contracts
become notes on the package they keep free of the named modules; public-face
contracts label the arrows they constrain.
"""

from __future__ import annotations

import configparser
import sys
from itertools import pairwise
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".importlinter"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def mermaid(config_path: Path = CONFIG) -> str:
    config = configparser.ConfigParser()
    config.read(config_path)
    contracts = [config[s] for s in config.sections() if s.startswith("importlinter:contract:")]
    out = ["flowchart TD"]
    layers = next(c for c in contracts if c["type"] == "layers")
    boxes = []
    for i, layer in enumerate(_lines(layers["layers"])):
        apps = [a.strip() for a in layer.replace(":", "|").split("|")]
        box = f"L{i}"
        boxes.append(box)
        out.append(f'    subgraph {box}[" "]')
        out.append("        direction LR")
        out.extend(f"        {app}" for app in apps)
        out.append("    end")
    faces = [c for c in contracts if c["type"] == "public_face"]
    face_sources = {m for c in faces for m in _lines(c["source_modules"])}
    for upper, lower in pairwise(boxes):
        members = _lines(layers["layers"])[boxes.index(upper)]
        checked = any(a.strip() in face_sources for a in members.split("|"))
        label = "|services · selectors|" if checked else ""
        out.append(f"    {upper} -->{label} {lower}")
    for contract in contracts:
        if contract["type"] != "forbidden":
            continue
        for source in _lines(contract["source_modules"]):
            node = source.replace(".", "_")
            external = [m for m in _lines(contract["forbidden_modules"]) if m.islower()]
            frameworks = ", ".join(
                m for m in external if m in {"django", "rest_framework", "celery"}
            )
            out.append(f'    {node}(["{source}: no {frameworks}, no other app"])')
            out.append(f"    {source.split('.')[0]} -.- {node}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write("```mermaid\n" + mermaid() + "\n```\n")
