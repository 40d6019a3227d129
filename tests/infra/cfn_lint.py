"""cfn-lint for tests/infra: one process for the session, not one per check.

Six tests lint templates (every environment's, then the variants': Aurora, read replicas, SSO,
SES and host names, a deprecated engine). Each `cfn-lint` process paid its start-up (importing
it, loading its rules) and loaded the resource schemas again: the same six requests took 21.6 s
of CPU as six processes and 17.9 s as one (2026-12-06, load ~9). `CfnLint` starts the pinned
cfn-lint (the one next to this Python) once, as a child process that runs cfn-lint's own
command line (`cfnlint.runner.main`) for each request, with the same arguments, and answers its
exit code and output as the command would (compared on findings and on none: the same). Nothing
is kept between runs of the suite, and every template is read and linted on every request: only
the process and the rules and schemas it has loaded are reused.

Run as `python -m tests.infra.cfn_lint`, it is that child: one JSON line in (the arguments),
one JSON line out (`returncode`, `stdout`, `stderr`).
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CFN_LINT_CONFIG = ROOT / ".cfnlintrc.yaml"


@dataclass(frozen=True)
class Result:
    """What `cfn-lint <args>` would have exited with and printed."""

    returncode: int
    stdout: str
    stderr: str


class CfnLint:
    """`cfn_lint(*args)`: cfn-lint's command line, run in one long-lived child process."""

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None = None

    def _child(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.infra.cfn_lint"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self._process

    def __call__(self, *args: str) -> Result:
        child = self._child()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(list(args)) + "\n")
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            raise TimeoutError(f"cfn-lint {' '.join(args)} took over {self.timeout} s")
        line = child.stdout.readline()
        if not line:
            code = child.wait()
            self._process = None
            raise RuntimeError(f"the cfn-lint process exited with {code}")
        answer = json.loads(line)
        return Result(answer["returncode"], answer["stdout"], answer["stderr"])

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None


def _run_once(args: list[str]) -> dict[str, object]:
    """cfn-lint's command line with `args`, as the `cfn-lint` script runs it."""
    from cfnlint.runner import main  # lazy: only the child imports cfn-lint, not pytest

    out, err = io.StringIO(), io.StringIO()
    returncode = 0
    sys.argv = ["cfn-lint", *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code
            returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return {"returncode": returncode, "stdout": out.getvalue(), "stderr": err.getvalue()}


def serve() -> None:
    """The child: answer each line of arguments on stdin until stdin closes."""
    answers = sys.stdout
    for line in sys.stdin:
        answer = _run_once(json.loads(line))
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
