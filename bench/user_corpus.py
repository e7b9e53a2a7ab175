"""Benchmark fixer on TensorFlow *user* code: the sources of eight TF-ecosystem packages.

``bench/run.py`` measures TensorFlow's own sources, where the pre-filter rules out every file.
User code is different: models, trainers and examples import ``tf.keras.optimizers`` and build
optimizers, so many files have calls the pre-filter must look at closely. This script measures
that case (issue 10).

The corpus is the ``.py`` files of these wheels, downloaded once with ``pip download --no-deps
--no-binary :none: --only-binary :all:`` and unpacked into ``--corpus-dir`` (default
``.bench-corpus/`` at the repository root, which git ignores); later runs reuse it:

    tf-models-official 2.20.0, tf-agents 0.19.0, keras-hub 0.32.0, tensorflow-gan 2.1.0,
    dm-sonnet 2.0.2, tensorflow-recommenders 0.7.7, tensorflow-similarity 0.17.1,
    tensorflow-model-optimization 0.8.1 (3,204 files)

It measures, in one run:

(a) ``fixer corpus`` (report mode, default jobs) and (b) ``ruff check --no-cache --isolated
    --select F401 corpus``, each in a fresh process, with ``bench/run.py``'s method (one untimed
    round, then the median wall time of ``--rounds`` rounds; CPU time and peak memory of the
    tool's processes);
(c) in this process, for every file with a call that may build an optimizer (a "candidate":
    the pre-filter's stage 3 lets it through), the median over ``--file-rounds`` rounds of
    ``ast.parse``, ``libcst.parse_module``, ``fixer.engine.fix_source``, and fixer's own path
    (the pre-filter, then ``fix_source`` if the file passes), split into files with at least
    one finding ("site files") and files without one; these are CPU times of the process,
    which load from elsewhere on the machine disturbs far less than wall times;

and prints the ratios issue 10 sets goals for: fixer / Ruff; ``fix_source`` / ``libcst.parse``
on site files; fixer's path / ``ast.parse`` on files with candidates but no site. The corpus
may hold few files with a finding (none, with these versions), so (c) also runs on the
repository's golden inputs (``fixtures/*/input.py``, most of which have one; ``--no-fixtures``
skips them), reported apart. TensorFlow's own sources stay ``bench/run.py``'s.

    python bench/user_corpus.py                       # markdown tables and the ratios
    python bench/user_corpus.py --json                # the same numbers as JSON on stdout
    python bench/user_corpus.py --check-equivalence   # the pre-filter hides no finding
    python bench/user_corpus.py --digests             # one digest per file, and in total

``--check-equivalence`` times nothing: it runs ``fix_source`` on every file that ``ast`` parses
in the pre-filter (``--all-files``: every file) and fails, naming the file, if the pre-filter
would skip a file where the engine finds something. CI runs it (``.ci/run``). ``--digests``
prints, per file, the sha256 of ``fix_source``'s findings (suppressed ones included) and fixed
bytes, then a digest of them all: two versions of the engine agree on the corpus when the
digests are equal.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from bench.run import Result, _tool, _version, measure  # noqa: E402 - after the path is set

DEFAULT_CORPUS_DIR = REPOSITORY / ".bench-corpus"
PINNED: tuple[tuple[str, str], ...] = (
    ("tf-models-official", "2.20.0"),
    ("tf-agents", "0.19.0"),
    ("keras-hub", "0.32.0"),
    ("tensorflow-gan", "2.1.0"),
    ("dm-sonnet", "2.0.2"),
    ("tensorflow-recommenders", "0.7.7"),
    ("tensorflow-similarity", "0.17.1"),
    ("tensorflow-model-optimization", "0.8.1"),
)
MANIFEST_VERSION = 1

# Issue 10's goals.
GOAL_FIXER_VS_RUFF = 2.0
GOAL_SITE_VS_LIBCST = 3.0
GOAL_NO_SITE_VS_AST = 1.5


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the corpus


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _nearest_version(name: str, wanted: str) -> str | None:
    """The registry's version nearest ``wanted``: the newest one before it, else the oldest
    after it."""
    listing = _pip("index", "versions", "--only-binary", ":all:", name)
    match = re.search(r"Available versions:\s*(.+)", listing.stdout)
    if match is None:
        return None
    versions = [v.strip() for v in match.group(1).split(",") if v.strip()]
    before = [v for v in versions if _version_key(v) <= _version_key(wanted)]
    if before:
        return max(before, key=_version_key)
    return min(versions, key=_version_key) if versions else None


def _download(name: str, version: str, into: Path) -> Path | None:
    """Download the wheel of ``name==version`` into ``into``; its path, or None."""
    with tempfile.TemporaryDirectory(prefix="fixer-wheel-") as scratch:
        proc = _pip(
            "download",
            "--no-deps",
            "--no-binary",
            ":none:",
            "--only-binary",
            ":all:",
            "--dest",
            scratch,
            f"{name}=={version}",
        )
        if proc.returncode != 0:
            return None
        prefix = f"{_normalized(name)}-{version}-"
        for wheel in Path(scratch).glob("*.whl"):
            if wheel.name.lower().startswith(prefix):
                into.mkdir(parents=True, exist_ok=True)
                target = into / wheel.name
                shutil.move(str(wheel), target)
                return target
    return None


def _unpack(wheel: Path, into: Path) -> tuple[int, int]:
    """Write the ``.py`` files of ``wheel`` under ``into``; (files, bytes)."""
    files = size = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            path = PurePosixPath(member)
            if path.suffix != ".py" or path.is_absolute() or ".." in path.parts:
                continue
            data = archive.read(member)
            target = into.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files += 1
            size += len(data)
    return files, size


@dataclass
class Corpus:
    root: Path  # holds one folder per package
    packages: list[dict[str, Any]]

    @property
    def files(self) -> int:
        return sum(p["files"] for p in self.packages)

    @property
    def size(self) -> int:
        return sum(p["bytes"] for p in self.packages)

    def paths(self) -> list[Path]:
        return sorted(self.root.rglob("*.py"))


def build_corpus(directory: Path) -> Corpus:
    """The corpus under ``directory``: built on the first run, then reused."""
    manifest_path = directory / "manifest.json"
    corpus_root = directory / "corpus"
    wanted = [list(pin) for pin in PINNED]
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if (
            manifest.get("version") == MANIFEST_VERSION
            and manifest.get("pinned") == wanted
            and corpus_root.is_dir()
        ):
            return Corpus(corpus_root, manifest["packages"])
    log(f"building the corpus in {directory} (pip download, once)")
    if corpus_root.exists():
        shutil.rmtree(corpus_root)
    packages = []
    for name, version in PINNED:
        used = version
        wheel = _download(name, version, directory / "wheels")
        if wheel is None:
            nearest = _nearest_version(name, version)
            if nearest is None or nearest == version:
                raise SystemExit(f"cannot download {name}=={version}, and no other version found")
            log(f"  {name}=={version} is not on the registry: using the nearest, {nearest}")
            used = nearest
            wheel = _download(name, used, directory / "wheels")
            if wheel is None:
                raise SystemExit(f"cannot download {name}=={used}")
        files, size = _unpack(wheel, corpus_root / f"{_normalized(name)}-{used}")
        log(f"  {name}=={used}: {files} files, {size / 1e6:.1f} MB ({wheel.name})")
        packages.append(
            {"name": name, "pinned": version, "version": used, "files": files, "bytes": size}
        )
    manifest = {"version": MANIFEST_VERSION, "pinned": wanted, "packages": packages}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return Corpus(corpus_root, packages)


# --------------------------------------------------------------------------- the pre-filter


# Verdicts of files that ``ast`` parses: stage 3 looked at their calls.
PARSED_BY_AST = ("NO_CALL", "NO_SITE", "PARSE")
# Verdicts of files with a call that may build an optimizer ("candidates").
WITH_CANDIDATES = ("NO_SITE", "PARSE")


@dataclass
class Sorted:
    """The corpus's files by the pre-filter's verdict, as ``runner.process`` decides for files
    found in a directory: (path relative to the corpus folder's parent, bytes)."""

    counts: dict[str, int]
    by_verdict: dict[str, list[tuple[str, bytes]]]

    def having(self, *verdicts: str) -> list[tuple[str, bytes]]:
        return sorted(item for verdict in verdicts for item in self.by_verdict.get(verdict, []))


def prefiltered(corpus: Corpus) -> Sorted:
    from fixer.files import is_generated
    from fixer.names import DEFAULT_NAMES
    from fixer.prefilter import Prefilter

    gate = Prefilter(DEFAULT_NAMES)
    by_verdict: dict[str, list[tuple[str, bytes]]] = {}
    for path in corpus.paths():
        data = path.read_bytes()
        verdict = "GENERATED" if is_generated(data) else gate.verdict(data).name
        relative = path.relative_to(corpus.root.parent).as_posix()
        by_verdict.setdefault(verdict, []).append((relative, data))
    counts = {verdict: len(files) for verdict, files in by_verdict.items()}
    return Sorted(counts, by_verdict)


# --------------------------------------------------------------------------- tool runs


def timed_tool(label: str, command: list[str], cwd: Path, rounds: int) -> tuple[Result, str]:
    """``bench/run.py``'s method: one untimed round, then ``rounds`` timed ones."""
    shown = " ".join(Path(part).name if part.startswith("/") else part for part in command)
    log(f"  {label}: {shown} ({rounds} rounds)")
    measure(command, cwd)
    samples = []
    stderr = ""
    for _ in range(rounds):
        sample, stderr = measure(command, cwd)
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        # fixer exits 2 when a file has a syntax error: still a complete run.
        if sample.returncode not in (0, 1) and not (sample.returncode == 2 and "checked" in last):
            raise SystemExit(f"{label} failed ({sample.returncode}):\n{stderr}")
        samples.append(sample)
    result = Result(label, shown, samples)
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    log(
        f"    wall {result.wall:.2f} s (best {result.best:.2f}), cpu {result.cpu:.2f} s, "
        f"peak {result.peak_mb:.0f} MB; {last}"
    )
    return result, last


# --------------------------------------------------------------------------- in-process timing


@dataclass
class FileTimes:
    path: str
    size: int
    ast_parse: float = 0.0
    libcst_parse: float = 0.0
    engine: float = 0.0  # fix_source
    fixer: float = (
        0.0  # what fixer does with the file: the pre-filter, then fix_source if it passes
    )
    verdict: str = ""
    findings: int = 0
    suppressed: int = 0
    error: str | None = None  # the code of an error finding (TFO900, TFO901)
    samples: dict[str, list[float]] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        if self.error is not None:
            return "error"
        return "site" if self.findings or self.suppressed else "no-site"


def time_files(files: Sequence[tuple[str, bytes]], rounds: int, base: Path) -> list[FileTimes]:
    """For each file, the median of ``rounds`` timings of ``ast.parse``, ``libcst.parse_module``,
    ``fix_source`` and fixer's own path (``Prefilter.verdict``, then ``fix_source`` when the
    file passes); the rounds interleave them, so load from elsewhere on the machine weighs on all
    of them alike."""
    from libcst import parse_module

    from fixer.engine import fix_source
    from fixer.names import DEFAULT_NAMES
    from fixer.prefilter import Prefilter
    from fixer.rulesets import DEFAULT_RULES
    from fixer.siblings import Repository, helpers_for

    gate = Prefilter(DEFAULT_NAMES)
    repository = Repository(DEFAULT_NAMES)
    # The builders of other modules each file imports (``base``: where the paths start), as the
    # runner reads them; computed here once, so that ``fix_source`` is timed alone.
    imported = {path: helpers_for(repository, base / path, data) for path, data in files}

    def engine(path: str, data: bytes) -> Any:
        return fix_source(
            data, path, names=DEFAULT_NAMES, rules=DEFAULT_RULES, imported=imported[path]
        )

    def fixer(path: str, data: bytes) -> str:
        verdict = gate.verdict(data)
        helpers = helpers_for(repository, base / path, data)
        if not verdict.skips or (helpers and gate.may_call(data, helpers)):
            engine(path, data)
            return "PARSE"
        return verdict.name

    times = [FileTimes(path, len(data)) for path, data in files]
    for path, data in files[:5]:  # warm-up: imports, caches
        with contextlib.suppress(Exception):
            ast.parse(data)
            parse_module(data)
        engine(path, data)
    # CPU time of this process: the machine's other work (CI, other jobs) weighs far less on it
    # than on wall time, and each step here runs on one thread.
    clock = time.process_time
    for number in range(rounds):
        log(f"  in-process round {number + 1}/{rounds} ({len(files)} files)")
        for entry, (path, data) in zip(times, files):
            # The two light steps first, then the two LibCST ones (which leave the caches cold).
            start = clock()
            with contextlib.suppress(SyntaxError, ValueError, RecursionError):
                ast.parse(data)
            after_ast = clock()
            entry.verdict = fixer(path, data)
            after_fixer = clock()
            with contextlib.suppress(Exception):
                parse_module(data)
            after_libcst = clock()
            result = engine(path, data)
            done = clock()
            for key, value in (
                ("ast", after_ast - start),
                ("fixer", after_fixer - after_ast),
                ("libcst", after_libcst - after_fixer),
                ("engine", done - after_libcst),
            ):
                entry.samples.setdefault(key, []).append(value)
            if number == 0:
                errors = [d.code for d in result.diagnostics if d.is_error]
                entry.error = errors[0] if errors else None
                entry.findings = len(result.diagnostics) - len(errors)
                entry.suppressed = len(result.suppressed)
    for entry in times:
        entry.ast_parse = statistics.median(entry.samples["ast"])
        entry.libcst_parse = statistics.median(entry.samples["libcst"])
        entry.engine = statistics.median(entry.samples["engine"])
        entry.fixer = statistics.median(entry.samples["fixer"])
    return times


def _summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"files": 0, "total": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    ordered = sorted(values)
    return {
        "files": len(values),
        "total": sum(values),
        "median": statistics.median(values),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "max": ordered[-1],
    }


def _ratio(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """Total over total, and the median of the per-file ratios."""
    pairs = [(n, d) for n, d in zip(numerators, denominators) if d > 0]
    if not pairs:
        return {"total": float("nan"), "median": float("nan")}
    return {
        "total": sum(n for n, _ in pairs) / sum(d for _, d in pairs),
        "median": statistics.median(n / d for n, d in pairs),
    }


def fixture_files() -> list[tuple[str, bytes]]:
    """The repository's golden inputs that pass the pre-filter: most have a finding, so they
    stand in for site files when the corpus has few or none."""
    from fixer.names import DEFAULT_NAMES
    from fixer.prefilter import Prefilter

    gate = Prefilter(DEFAULT_NAMES)
    found = []
    for path in sorted((REPOSITORY / "fixtures").glob("*/input.py")):
        data = path.read_bytes()
        if not gate.verdict(data).skips:
            found.append((path.relative_to(REPOSITORY).as_posix(), data))
    return found


def in_process(times: Sequence[FileTimes], rounds: int) -> dict[str, Any]:
    """The timings of one group of files, split into site and no-site files."""
    site = [t for t in times if t.kind == "site"]
    no_site = [t for t in times if t.kind == "no-site"]
    return {
        "files": len(times),
        "rounds": rounds,
        "site_files": len(site),
        "no_site_files": len(no_site),
        "error_files": sum(t.kind == "error" for t in times),
        "findings": sum(t.findings for t in times),
        "suppressed": sum(t.suppressed for t in times),
        "verdicts": {
            v: sum(t.verdict == v for t in times) for v in sorted({t.verdict for t in times})
        },
        "steps": {
            "ast_all": _summary([t.ast_parse for t in times]),
            "libcst_all": _summary([t.libcst_parse for t in times]),
            "engine_all": _summary([t.engine for t in times]),
            "fixer_all": _summary([t.fixer for t in times]),
            "libcst_site": _summary([t.libcst_parse for t in site]),
            "engine_site": _summary([t.engine for t in site]),
            "ast_no_site": _summary([t.ast_parse for t in no_site]),
            "engine_no_site": _summary([t.engine for t in no_site]),
            "fixer_no_site": _summary([t.fixer for t in no_site]),
        },
        "ratios": {
            "site": _ratio([t.engine for t in site], [t.libcst_parse for t in site]),
            "no_site": _ratio([t.fixer for t in no_site], [t.ast_parse for t in no_site]),
        },
        "per_file": [
            {
                "path": t.path,
                "bytes": t.size,
                "kind": t.kind,
                "verdict": t.verdict,
                "findings": t.findings,
                "error": t.error,
                "ast_parse": t.ast_parse,
                "libcst_parse": t.libcst_parse,
                "engine": t.engine,
                "fixer": t.fixer,
            }
            for t in times
        ],
    }


# --------------------------------------------------------------------------- equivalence


def _digest(result: Any) -> str:
    def canonical(diagnostics: Sequence[Any]) -> list[dict[str, Any]]:
        return [dataclasses.asdict(d) for d in diagnostics]

    findings = json.dumps(
        {
            "diagnostics": canonical(result.diagnostics),
            "suppressed": canonical(result.suppressed),
        },
        sort_keys=True,
        default=str,
    )
    fixed = result.fixed if isinstance(result.fixed, bytes) else result.fixed.encode()
    hasher = hashlib.sha256()
    hasher.update(findings.encode())
    hasher.update(b"\x00")
    hasher.update(fixed)
    return hasher.hexdigest()


def digests(
    files: Sequence[tuple[str, bytes]], unsafe_fixes: bool, with_edits: bool
) -> dict[str, Any]:
    """The sha256 of ``fix_source``'s findings and fixed bytes per file, and of them all."""
    from fixer.engine import fix_source
    from fixer.names import DEFAULT_NAMES
    from fixer.rulesets import DEFAULT_RULES

    found: dict[str, str] = {}
    start = time.perf_counter()
    for path, data in files:
        result = fix_source(
            data,
            path,
            names=DEFAULT_NAMES,
            rules=DEFAULT_RULES,
            unsafe_fixes=unsafe_fixes,
            with_edits=with_edits,
        )
        found[path] = _digest(result)
    elapsed = time.perf_counter() - start
    overall = hashlib.sha256()
    for path in sorted(found):
        overall.update(f"{found[path]}  {path}\n".encode())
    return {
        "settings": {"unsafe_fixes": unsafe_fixes, "with_edits": with_edits},
        "files": found,
        "digest": overall.hexdigest(),
        "seconds": elapsed,
    }


def check_equivalence(files: Sequence[tuple[str, bytes]], base: Path) -> list[str]:
    """Run each file through ``fix_source`` (no pre-filter) and through fixer's path (the
    pre-filter, then ``fix_source`` if the file passes), and return the files where the two
    differ in findings (error findings aside: the pre-filter's documented trade-off) or in
    fixed bytes. Empty: the pre-filter hid nothing. Both get the builders of the other modules a
    file imports (``base``: where the paths start), as the runner reads them."""
    from fixer.engine import fix_source
    from fixer.names import DEFAULT_NAMES
    from fixer.prefilter import Prefilter
    from fixer.rulesets import DEFAULT_RULES
    from fixer.siblings import Repository, helpers_for

    gate = Prefilter(DEFAULT_NAMES)
    repository = Repository(DEFAULT_NAMES)
    differing = []
    for number, (path, data) in enumerate(files, 1):
        if number % 25 == 0:
            log(f"  {number}/{len(files)} files")
        imported = helpers_for(repository, base / path, data)
        result = fix_source(data, path, names=DEFAULT_NAMES, rules=DEFAULT_RULES, imported=imported)
        findings = [d for d in result.diagnostics if not d.is_error]
        if not gate.verdict(data).skips or (imported and gate.may_call(data, imported)):
            continue  # fixer's path runs the very same call
        if findings or result.suppressed or result.fixed != data:
            codes = ", ".join(f"{d.code} at {d.line}:{d.column}" for d in findings)
            differing.append(f"{path}: the pre-filter skips it, the engine finds {codes}")
    return differing


def importing_builders(sorted_files: Sorted, base: Path) -> list[tuple[str, bytes]]:
    """The files ruled out before ``ast`` that import a builder of another module."""
    from fixer.names import DEFAULT_NAMES
    from fixer.siblings import Repository, helpers_for

    repository = Repository(DEFAULT_NAMES)
    early = [v for v in sorted_files.by_verdict if v not in PARSED_BY_AST]
    return [
        (path, data)
        for path, data in sorted_files.having(*early)
        if helpers_for(repository, base / path, data)
    ]


# --------------------------------------------------------------------------- report


def _machine() -> dict[str, Any]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "machine": platform.machine(),
        "cpus": cpus,
        "python": platform.python_version(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "libcst": metadata.version("libcst"),
    }


def _result_json(result: Result) -> dict[str, Any]:
    return {
        "command": result.command,
        "wall_median": result.wall,
        "wall_best": result.best,
        "cpu_median": result.cpu,
        "peak_mb": result.peak_mb,
        "walls": [s.wall for s in result.samples],
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _render_section(inproc: dict[str, Any], title: str) -> Iterator[str]:
    yield ""
    yield (
        f"In this process, the {inproc['files']} files of {title} "
        f'(median of {inproc["rounds"]} rounds per file); "fixer" is the pre-filter, then '
        "fix_source when the file passes:"
    )
    yield ""
    yield "| step | files | total | median per file | p90 | max |"
    yield "| --- | ---: | ---: | ---: | ---: | ---: |"
    for label, key in (
        ("ast.parse, all", "ast_all"),
        ("libcst.parse_module, all", "libcst_all"),
        ("fix_source, all", "engine_all"),
        ("fixer, all", "fixer_all"),
        ("libcst.parse_module, site files", "libcst_site"),
        ("fix_source, site files", "engine_site"),
        ("ast.parse, no-site files", "ast_no_site"),
        ("fix_source, no-site files", "engine_no_site"),
        ("fixer, no-site files", "fixer_no_site"),
    ):
        s = inproc["steps"][key]
        if not s["files"]:
            continue
        yield (
            f"| {label} | {s['files']} | {s['total']:.2f} s | {_ms(s['median'])} | "
            f"{_ms(s['p90'])} | {_ms(s['max'])} |"
        )
    yield ""
    yield (
        f"site files: {inproc['site_files']} ({inproc['findings']} findings, "
        f"{inproc['suppressed']} suppressed); no-site files: {inproc['no_site_files']}; "
        f"files with an error finding: {inproc['error_files']}; pre-filter: "
        + ", ".join(f"{name} {count}" for name, count in inproc["verdicts"].items())
    )


def render(report: dict[str, Any]) -> Iterator[str]:
    corpus = report["corpus"]
    machine = report["machine"]
    load = machine["load_average"]
    yield (
        f"machine: {machine['machine']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"libcst {machine['libcst']}; load average at start "
        f"{' '.join(f'{x:.2f}' for x in load) if load else '?'}"
    )
    yield f"tools: {report['tools']['fixer']}; {report['tools']['ruff']}"
    yield "corpus: " + ", ".join(f"{p['name']} {p['version']}" for p in corpus["packages"])
    yield (
        f"  {corpus['files']} files, {corpus['bytes'] / 1e6:.1f} MB; pre-filter: "
        + ", ".join(f"{name} {count}" for name, count in corpus["verdicts"].items())
    )
    yield ""
    yield "| run | wall (median) | best | CPU | peak memory |"
    yield "| --- | ---: | ---: | ---: | ---: |"
    labels = {
        "fixer": f"fixer report mode, corpus ({corpus['files']} files)",
        "ruff": "ruff check --no-cache --select F401, corpus",
    }
    for key, label in labels.items():
        r = report["tools"].get(f"{key}_run")
        if r is not None:
            yield (
                f"| {label} | {r['wall_median']:.2f} s | {r['wall_best']:.2f} s | "
                f"{r['cpu_median']:.2f} s | {r['peak_mb']:.0f} MB |"
            )
    for key, title in (
        ("in_process", "the corpus"),
        ("fixtures", "the repository's fixtures (fixtures/*/input.py)"),
    ):
        section = report.get(key)
        if section is not None:
            yield from _render_section(section, title)
    yield ""
    yield "| ratio | measured | goal | |"
    yield "| --- | ---: | ---: | --- |"
    for line in report["ratios"]:
        if line["value"] != line["value"]:  # NaN: no file of that kind
            value, met = "n/a", "no such file"
        else:
            value, met = f"{line['value']:.2f} x", "met" if line["met"] else "NOT met"
        yield f"| {line['name']} | {value} | <= {line['goal']:.1f} x | {met} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=DEFAULT_CORPUS_DIR,
        help="where the wheels and the corpus are kept (default: .bench-corpus/)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per tool")
    parser.add_argument(
        "--file-rounds", type=int, default=3, help="in-process timings per file (median)"
    )
    parser.add_argument("--skip-tools", action="store_true", help="skip the fixer and ruff runs")
    parser.add_argument("--skip-files", action="store_true", help="skip the in-process timings")
    parser.add_argument(
        "--no-fixtures", action="store_true", help="do not time the repository's fixtures"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--check-equivalence",
        action="store_true",
        help="check that the pre-filter hides no finding (exit 1 if it does) instead of timing",
    )
    parser.add_argument(
        "--digests",
        action="store_true",
        help="print a digest of fix_source's output per file instead of timing",
    )
    parser.add_argument(
        "--all-files",
        action="store_true",
        help="with --check-equivalence or --digests: every file, not only those ast parses",
    )
    parser.add_argument("--unsafe-fixes", action="store_true", help="for --digests")
    parser.add_argument("--with-edits", action="store_true", help="for --digests")
    args = parser.parse_args(argv)

    corpus = build_corpus(args.corpus_dir.resolve())
    sorted_files = prefiltered(corpus)
    chosen = sorted_files.having(*(sorted_files.by_verdict if args.all_files else PARSED_BY_AST))

    if args.check_equivalence:
        if not args.all_files:  # and the files that import builders of other modules
            chosen = sorted({*chosen, *importing_builders(sorted_files, corpus.root.parent)})
        log(f"fix_source with and without the pre-filter on {len(chosen)} files")
        differing = check_equivalence(chosen, corpus.root.parent)
        for line in differing:
            print(line)
        print(
            f"{len(chosen)} files ({'all' if args.all_files else 'those ast parses'}), "
            f"pre-filter {sorted_files.counts}: {len(differing)} differ"
        )
        raise SystemExit(1 if differing else 0)

    if args.digests:
        outcome = digests(chosen, args.unsafe_fixes, args.with_edits)
        if args.json:
            print(json.dumps(outcome, indent=2))
        else:
            for path, digest in outcome["files"].items():
                print(f"{digest}  {path}")
            print(f"{outcome['digest']}  ({len(chosen)} files, {outcome['settings']})")
        log(f"fix_source on {len(chosen)} files: {outcome['seconds']:.1f} s")
        return

    report: dict[str, Any] = {
        "machine": _machine(),
        "corpus": {
            "packages": corpus.packages,
            "files": corpus.files,
            "bytes": corpus.size,
            "verdicts": sorted_files.counts,
        },
        "tools": {},
        "ratios": [],
    }
    fixer, ruff = _tool("fixer"), _tool("ruff")
    report["tools"]["fixer"] = _version([fixer, "--version"])
    report["tools"]["ruff"] = _version([ruff, "--version"])
    candidates = sorted_files.having(*WITH_CANDIDATES)
    log(
        f"corpus: {corpus.files} files; {len(candidates)} with candidates, "
        f"{sorted_files.counts.get('PARSE', 0)} pass the pre-filter"
    )
    cwd = corpus.root.parent
    relative = corpus.root.name
    if not args.skip_tools:
        fixer_run, summary = timed_tool("fixer", [fixer, relative], cwd, args.rounds)
        ruff_args = ["check", "--no-cache", "--isolated", "--select", "F401", relative]
        ruff_run, _ = timed_tool("ruff", [ruff, *ruff_args], cwd, args.rounds)
        report["tools"]["fixer_run"] = {**_result_json(fixer_run), "summary": summary}
        report["tools"]["ruff_run"] = _result_json(ruff_run)
        value = fixer_run.wall / ruff_run.wall
        report["ratios"].append(
            {
                "name": "fixer / ruff wall time, corpus",
                "value": value,
                "goal": GOAL_FIXER_VS_RUFF,
                "met": value <= GOAL_FIXER_VS_RUFF,
            }
        )

    if not args.skip_files:
        groups = [("corpus", candidates)]
        if not args.no_fixtures:
            groups.append(("fixtures", fixture_files()))
        for group, files in groups:
            log(f"timing {group}: {len(files)} files")
            base = corpus.root.parent if group == "corpus" else REPOSITORY
            section = in_process(time_files(files, args.file_rounds, base), args.file_rounds)
            report["in_process" if group == "corpus" else "fixtures"] = section
            where = "corpus" if group == "corpus" else "repository fixtures"
            goals = [("fix_source / libcst.parse_module, site files", "site", GOAL_SITE_VS_LIBCST)]
            if group == "corpus":
                # The fixtures without a finding are look-alikes written to be left alone (a
                # traced step building an optax optimizer...): the goal is about user code.
                goals.append(
                    (
                        "fixer / ast.parse, files with candidates, no site",
                        "no_site",
                        GOAL_NO_SITE_VS_AST,
                    )
                )
            for name, key, goal in goals:
                for how in ("median", "total"):
                    value = section["ratios"][key][how]
                    label = f"{name}, {where} ({'per-file median' if how == 'median' else 'total'})"
                    report["ratios"].append(
                        {"name": label, "value": value, "goal": goal, "met": value <= goal}
                    )

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        with contextlib.suppress(BrokenPipeError):
            for line in render(report):
                print(line)


if __name__ == "__main__":
    main()
