"""fixer: move TensorFlow optimizers out of ``tf.function`` bodies."""

from fixer.engine import FixResult, fix_source
from fixer.findings import Applicability, Diagnostic

__version__ = "0.1.0"

__all__ = ["Applicability", "Diagnostic", "FixResult", "__version__", "fix_source"]
