"""What a rule is: its code, its name and its documentation in parts.

Every consumer renders from these parts (``fixer rule``, the README table, JSON, SARIF), so what
they show cannot drift apart. Each rule is one module of :mod:`fixer.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixer.findings import Applicability


@dataclass(frozen=True)
class Section:
    """One part of a rule's documentation: ``key`` is stable (for JSON), ``title`` is shown."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Example:
    """A whole file fixer is given, and the file after fixer's fix: what ``fix_source`` returns
    (with ``unsafe_fixes=True`` for a rule whose fix is unsafe). Equal when nothing changes."""

    before: str
    after: str


@dataclass(frozen=True)
class Rule:
    """A kind of finding. The code is never reused for another meaning.

    Its documentation is kept in parts, from which every consumer renders (``fixer rule``, the
    README table, JSON, SARIF): what it catches, why it is a bug, when the fix is safe, when it
    is unsafe or refused, and an example that the tests run through ``fix_source``.
    ``fix_availability`` is the fix a finding of this kind gets when nothing blocks or weakens
    it; each finding states its own.

    Text is prose wrapped at 100 columns, paragraphs separated by blank lines; lines indented
    by four spaces are verbatim (an error message) and must not be re-wrapped.
    """

    code: str
    name: str
    summary: str
    catches: str
    why: str
    fix_availability: Applicability
    safe: str
    unsafe: str
    example: Example
    # The title of the editor's action that makes a finding's fix (the language server).
    fix_title: str = ""
    # TensorFlow fails on a finding of this kind (``error`` in CI annotations); the other kinds
    # run and train differently from what is written.
    crashes: bool = False

    @property
    def sections(self) -> tuple[Section, ...]:
        return (
            Section("catches", "What it catches", self.catches),
            Section("why", "Why it is a bug", self.why),
            Section("safe", "When the fix is safe", self.safe),
            Section("unsafe", "When it is unsafe or refused", self.unsafe),
        )

    @property
    def doc(self) -> str:
        """The whole documentation as plain text: the sections, then the example."""
        parts = [f"{section.title}:\n\n{section.text.strip()}" for section in self.sections]
        before = _indent(self.example.before)
        if self.example.before == self.example.after:
            parts.append(f"Example (fixer leaves it unchanged)::\n\n{before}")
        else:
            parts.append(f"Before::\n\n{before}")
            parts.append(f"After::\n\n{_indent(self.example.after)}")
        return "\n\n".join(parts) + "\n"


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip("\n").split("\n"))


# What TensorFlow 2.21 raises, under Keras 3 and Keras 2 alike (see TENSORFLOW.md).
SINGLETON_VARIABLES_ERROR = (
    "ValueError: tf.function only supports singleton tf.Variables created on the first call. "
    "Make sure the tf.Variable is only created once or created outside tf.function."
)
