"""``main.load_bindings``: the AWS bindings load with the cyclic GC paused and end up frozen; the GC is never left off."""

from __future__ import annotations

import gc
import sys

import pytest

import main


@pytest.fixture
def collector():
    """Restore the collector's state after a test that freezes or breaks it (the pytest process goes on)."""
    yield
    gc.unfreeze()
    gc.enable()


def test_load_bindings_freezes_what_it_imported_and_turns_the_collector_back_on(collector):
    gc.unfreeze()
    main.load_bindings()
    assert gc.isenabled()
    assert "stacks.env" in sys.modules and "cdktf" in sys.modules
    assert gc.get_freeze_count() > 100_000  # the bindings alone are ~1.1 million objects


def test_a_failed_import_still_turns_the_collector_back_on(collector, monkeypatch):
    monkeypatch.setitem(sys.modules, "stacks.env", None)  # ``import stacks.env`` now raises ImportError
    with pytest.raises(ImportError):
        main.load_bindings()
    assert gc.isenabled()
