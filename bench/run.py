"""Benchmark fixer's report mode against Ruff and LibCST's own codemod runner.

The corpus is the ``.py`` files of the installed ``tensorflow``, ``keras`` and ``tf_keras``
packages (about 3,300 files, 48 MB), copied into a temporary folder. Each measurement runs the
tool in a fresh subprocess of a small wrapper process, so that the wrapper's children's
``rusage`` is that tool's alone: wall time, CPU time (user + system, all its processes) and peak
memory (``ru_maxrss``: the largest of its processes).

    python bench/run.py                 # everything (LibCST's runner takes minutes)
    python bench/run.py --skip-libcst   # a quick run

Run it from the repository root, in the environment where fixer, ruff and libcst are installed.
Each tool runs once untimed first (page cache, and bytecode caches: ``PYTHONDONTWRITEBYTECODE`` is
unset for the tools, as for an installed package).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGES = ("tensorflow", "keras", "tf_keras")
SINGLE_FILE = REPOSITORY / "fixtures" / "hoist_adam_in_train_step" / "input.py"
BIN = Path(sys.executable).parent


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mb: float
    returncode: int


@dataclass
class Result:
    label: str
    command: str
    samples: list[Sample]

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        return min(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)


def _measure_child(cwd: str, command: list[str]) -> None:
    """Inside the wrapper: run ``command`` once and print its usage as JSON."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    env.pop("CI", None)
    # As installed: bytecode is cached (the warm-up round writes what an editable install lacks).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss: KiB on Linux, bytes on macOS
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss * scale / 2**20,
                "returncode": proc.returncode,
                "stderr": proc.stderr.decode(errors="replace")[-2000:],
            }
        )
    )


def measure(command: list[str], cwd: Path) -> tuple[Sample, str]:
    wrapper = [sys.executable, __file__, "--measure-child", str(cwd), "--", *command]
    out = subprocess.run(wrapper, capture_output=True, check=True).stdout
    data = json.loads(out)
    sample = Sample(data["wall"], data["cpu"], data["peak_mb"], data["returncode"])
    return sample, data["stderr"]


def run_rounds(
    label: str, command: list[str], cwd: Path, rounds: int, warmup: bool = True
) -> Result:
    shown = " ".join(Path(part).name if part.startswith("/") else part for part in command)
    print(f"  {label}: {shown} ({rounds} round{'s' if rounds > 1 else ''})", flush=True)
    if warmup:
        measure(command, cwd)  # page cache, .pyc files
    samples = []
    for _ in range(rounds):
        sample, stderr = measure(command, cwd)
        if sample.returncode not in (0, 1):
            raise SystemExit(f"{label} failed ({sample.returncode}):\n{stderr}")
        samples.append(sample)
    result = Result(label, shown, samples)
    print(
        f"    wall {result.wall:.2f} s (best {result.best:.2f}), cpu {result.cpu:.2f} s, "
        f"peak {result.peak_mb:.0f} MB; {stderr.strip().splitlines()[-1] if stderr.strip() else ''}"
    )
    return result


def build_corpus(destination: Path) -> tuple[int, int]:
    files = size = 0
    for package in PACKAGES:
        spec = find_spec(package)  # finds the folder without importing the package
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{package} is not installed")
        source = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(source.rglob("*.py")):
            target = destination / package / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files += 1
            size += target.stat().st_size
    return files, size


def prefilter_stages(corpus: Path) -> Counter[str]:
    """How many files each pre-filter stage decided (not timed)."""
    sys.path.insert(0, str(REPOSITORY))
    from fixer.names import DEFAULT_NAMES
    from fixer.prefilter import Prefilter

    gate = Prefilter(DEFAULT_NAMES)
    return Counter(gate.verdict(path.read_bytes()).name for path in corpus.rglob("*.py"))


def _tool(name: str) -> str:
    local = BIN / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return found


def _version(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per tool")
    parser.add_argument("--skip-libcst", action="store_true", help="skip LibCST's slow runner")
    parser.add_argument("--skip-10x", action="store_true", help="skip the ten-copies corpus")
    parser.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = parser.parse_args()

    fixer, ruff = _tool("fixer"), _tool("ruff")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"machine: {platform.machine()}, {cpus} CPUs available, Python {platform.python_version()}"
    )
    print(
        f"tools: {_version([fixer, '--version'])}; {_version([ruff, '--version'])}; "
        f"libcst {metadata.version('libcst')}"
    )

    workspace = Path(tempfile.mkdtemp(prefix="fixer-bench-")) if args.keep is None else args.keep
    workspace.mkdir(parents=True, exist_ok=True)
    try:
        corpus = workspace / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        files, size = build_corpus(corpus)
        print(f"corpus: {files} files, {size / 1e6:.1f} MB of {', '.join(PACKAGES)} in {corpus}")
        stages = prefilter_stages(corpus)
        print("pre-filter: " + ", ".join(f"{name} {count}" for name, count in stages.items()))

        results: dict[str, Result] = {}
        ruff_args = ["check", "--no-cache", "--isolated", "--select", "F401"]
        results["fixer"] = run_rounds("fixer", [fixer, "corpus"], workspace, args.rounds)
        results["ruff"] = run_rounds("ruff", [ruff, *ruff_args, "corpus"], workspace, args.rounds)

        single = workspace / "single" / "train.py"
        single.parent.mkdir(exist_ok=True)
        shutil.copyfile(SINGLE_FILE, single)
        rounds = max(args.rounds, 10)
        results["fixer-1"] = run_rounds(
            "fixer, one file", [fixer, "single/train.py"], workspace, rounds
        )
        results["ruff-1"] = run_rounds(
            "ruff, one file", [ruff, *ruff_args, "single/train.py"], workspace, rounds
        )

        if not args.skip_10x:
            tenfold = workspace / "corpus10"
            if tenfold.exists():
                shutil.rmtree(tenfold)
            for copy in range(10):
                shutil.copytree(corpus, tenfold / f"copy{copy}")
            results["fixer-10"] = run_rounds("fixer, 10x", [fixer, "corpus10"], workspace, 3)
            results["ruff-10"] = run_rounds(
                "ruff, 10x", [ruff, *ruff_args, "corpus10"], workspace, 3
            )
            shutil.rmtree(tenfold)

        if not args.skip_libcst:
            command = [sys.executable, "-m", "libcst.tool", "codemod", "-x", "--no-format"]
            command += ["--hide-progress", "bench.noop.NoopCommand", "corpus"]
            results["libcst"] = run_rounds(
                "LibCST codemod runner, no-op", command, workspace, 1, warmup=False
            )
        report(results, files, size)
    finally:
        if args.keep is None:
            shutil.rmtree(workspace, ignore_errors=True)


def report(results: dict[str, Result], files: int, size: int) -> None:
    rows = [
        ("fixer", f"fixer report mode, corpus ({files} files, {size / 1e6:.0f} MB)"),
        ("ruff", "ruff check --no-cache --select F401, corpus"),
        ("libcst", "LibCST codemod runner, no-op command, corpus"),
        ("fixer-1", "fixer, one file with a finding (start-up included)"),
        ("ruff-1", "ruff, the same file"),
        ("fixer-10", "fixer, corpus copied 10 times"),
        ("ruff-10", "ruff, corpus copied 10 times"),
    ]
    print()
    print("| run | wall (median) | best | CPU | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, label in rows:
        if key in results:
            r = results[key]
            cells = [f"{r.wall:.2f} s", f"{r.best:.2f} s", f"{r.cpu:.2f} s", f"{r.peak_mb:.0f} MB"]
            print(f"| {label} | {' | '.join(cells)} |")
    print()
    fixer, ruff = results["fixer"], results["ruff"]
    checks = [
        ("fixer / ruff wall time", fixer.wall / ruff.wall, "x", "<= 1.0", fixer.wall <= ruff.wall),
    ]
    if "libcst" in results:
        speedup = results["libcst"].wall / fixer.wall
        checks.append(("LibCST runner / fixer wall time", speedup, "x", ">= 100", speedup >= 100))
    one = results["fixer-1"].wall
    checks.append(("fixer, one file", one, "s", "<= 0.35", one <= 0.35))
    checks.append(("fixer peak memory", fixer.peak_mb, "MB", "<= 300", fixer.peak_mb <= 300))
    if "fixer-10" in results:
        growth = results["fixer-10"].wall / fixer.wall
        checks.append(("fixer 10x files / 1x time", growth, "x", "<= 11", growth <= 11))
    print("| check | measured | target | |")
    print("| --- | ---: | ---: | --- |")
    for name, value, unit, target, ok in checks:
        print(f"| {name} | {value:.2f} {unit} | {target} | {'met' if ok else 'NOT met'} |")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--measure-child" and sys.argv[3] == "--":
        _measure_child(sys.argv[2], sys.argv[4:])
    else:
        main()
