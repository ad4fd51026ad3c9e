"""PyTorch is optional: the sequence member runs when it is installed.

``requirements-torch.txt`` pins it (``make install`` installs it); without
it the engine works as before and says so with :data:`TORCH_MISSING`, a
status the glue can show next to the model version. Every entry point of
the sequence model calls :func:`load_torch` first, so a test can simulate
the absence with ``monkeypatch.setitem(sys.modules, "torch", None)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

TORCH_MISSING = "torch not installed: sequence member skipped"


class TorchMissingError(ImportError):
    """The sequence model was asked to run without PyTorch installed."""

    def __init__(self) -> None:
        super().__init__(TORCH_MISSING)


def load_torch() -> ModuleType | None:
    """Return the ``torch`` module, or ``None`` when it is not installed."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def torch_available() -> bool:
    """Whether the sequence member can run here."""
    return load_torch() is not None


def sequence_status() -> str:
    """One line for operators: the torch build in use, or :data:`TORCH_MISSING`."""
    torch = load_torch()
    if torch is None:
        return TORCH_MISSING
    return f"torch {torch.__version__}: sequence member available"


@contextmanager
def torch_threads(torch: ModuleType, threads: int) -> Iterator[None]:
    """Run the block with at most ``threads`` intra-op threads, then restore the setting.

    ``torch.set_num_threads`` is process-wide; restoring it keeps a Celery
    worker's other tasks unaffected.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
