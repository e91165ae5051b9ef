"""Memory given back between reruns: the collection at the end of a rerun frees its cyclic garbage, and
what the page holds for good is frozen out of the collector's scans."""
import gc
import weakref

from ui import memory


class _Node:
    pass


def test_release_frees_garbage_held_in_cycles_and_settle_freezes_what_is_alive():
    gc.disable()   # only the explicit collection may free the cycle
    try:
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None        # a cycle outlives its last name
        memory.release()
        assert gone() is None
    finally:
        gc.enable()
    kept = _Node()
    memory.settle()
    try:
        assert gc.get_freeze_count() > 0 and kept is not None
    finally:
        gc.unfreeze()
