"""fixer: move TensorFlow optimizers out of ``tf.function`` bodies."""

from fixer.engine import FixResult, fix_source
from fixer.findings import Applicability, Diagnostic
from fixer.names import NameTable

__version__ = "0.1.0"

__all__ = ["Applicability", "Diagnostic", "FixResult", "NameTable", "__version__", "fix_source"]
