"""The sandbox in which the scripts, conditions and expressions of process definitions run.

Process owners edit diagrams in the browser, so their Python is untrusted: it is compiled with
RestrictedPython under our policy (`policy`), runs with only the helpers of `helpers` and the
runtime guards of `guards`, and is stopped by `limits` when it runs too long or grows too big.
"""

from .runner import Sandbox

__all__ = ["Sandbox"]
