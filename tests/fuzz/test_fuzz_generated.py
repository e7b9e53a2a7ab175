"""Property tests over programs hypothesmith generates: fix_source never raises and never fails
inside (TFO901); a program without TensorFlow comes back byte-identical, with no finding; every
output compiles; a second run changes nothing. A generated program appended to a fixture that
fixer fixes is fixed, compiles and is stable too.

The CI profile runs a bounded, derandomized set of examples. A long campaign::

    FIXER_FUZZ=long python -m pytest tests/fuzz -p no:cacheprovider -q

(``FIXER_FUZZ_EXAMPLES=N`` sets the number of examples of each test.)
"""

from __future__ import annotations

import warnings
from typing import AnyStr

import hypothesmith
import pytest
from ground import POSITIVE, text
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles import examples

from fixer import FixResult, fix_source
from fixer.rules import INTERNAL_ERROR, SYNTAX_ERROR

# hypothesmith compiles what it generates; nonsense like `1()` warns.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
_TENSORFLOW_WORDS = ("tensorflow", "keras", "optimizers", "noqa", "fixer")


def _compiles(source: str | bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning on generated nonsense like `1()`
        try:
            compile(source, "<fuzz>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
    return True


def _check(source: AnyStr, *, unsafe: bool = False) -> FixResult[AnyStr]:
    """fix_source's properties on one source; returns its result."""
    result = fix_source(source, "generated.py", unsafe_fixes=unsafe)
    internal = [d.render() for d in result.diagnostics if d.code == INTERNAL_ERROR.code]
    assert not internal, internal
    if result.changed:
        assert _compiles(result.fixed), result.fixed
        again = fix_source(result.fixed, "generated.py", unsafe_fixes=unsafe)
        assert again.fixed == result.fixed, "a second run changed the output"
    return result


def _without_tensorflow(source: str) -> bool:
    return not any(word in source for word in _TENSORFLOW_WORDS)


@settings(max_examples=examples(ci=60, long=3000))
@given(source=hypothesmith.from_grammar(), as_bytes=st.booleans())
def test_generated_programs_without_tensorflow_come_back_byte_identical(
    source: str, as_bytes: bool
) -> None:
    data: str | bytes = source.encode("utf-8", "surrogatepass") if as_bytes else source
    result = _check(data)
    if _without_tensorflow(source):
        assert result.fixed == data
        findings = [d.render() for d in result.diagnostics if d.code != SYNTAX_ERROR.code]
        assert not findings


@settings(max_examples=examples(ci=12, long=300))
@given(source=hypothesmith.from_node())
def test_programs_built_from_libcst_nodes_come_back_byte_identical(source: str) -> None:
    result = _check(source)
    if _without_tensorflow(source):
        assert result.fixed == source
        assert not result.diagnostics


@settings(max_examples=examples(ci=25, long=1500))
@given(
    case=st.sampled_from(POSITIVE),
    tail=hypothesmith.from_grammar(),
    unsafe=st.booleans(),
)
def test_a_fixture_followed_by_generated_code_is_fixed_and_stable(
    case: str, tail: str, unsafe: bool
) -> None:
    head = text(case)
    source = head + ("" if head.endswith("\n") else "\n") + tail
    if not _compiles(source):  # e.g. a `from __future__` import that is no longer first
        return
    _check(source, unsafe=unsafe)


@pytest.mark.parametrize("case", POSITIVE[:1])
def test_the_positive_ground_is_fixed(case: str) -> None:
    """The appended-to fixtures do change: the properties above are not vacuous."""
    assert fix_source(text(case), "input.py").changed
