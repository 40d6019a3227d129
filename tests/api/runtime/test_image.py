"""The Lambda image without a Docker engine: the Dockerfile parsed, its CMD handler imported
and answering an event in a fresh process, the runtime requirements and their lock checked for
what must not be there, and the locks installed hash-checked for the Lambda target (Python 3.12,
both arches) as the image's build stage installs them, their size measured."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.api.runtime.conftest import EVENTS_DIR
from tests.lockfiles import canonical, locked_versions

REPO = Path(__file__).resolve().parents[3]
API_DIR = REPO / "api"
DOCKERFILE = API_DIR / "Dockerfile"
REQUIREMENTS = API_DIR / "requirements.txt"
RUNTIME_LOCK = API_DIR / "requirements.lock"
OTEL_LOCK = API_DIR / "requirements-otel.lock"
SIZE_BUDGET_BYTES = 60 * 1024 * 1024

FORBIDDEN = {
    "aws-cdk-lib",
    "aws-cdk",
    "constructs",
    "cdk-nag",
    "cfn-lint",
    "boto3",
    "botocore",
    "moto",
    "pytest",
    "pytest-asyncio",
    "pytest-timeout",
    "hypothesis",
    "mypy",
    "ruff",
    "playwright",
    "httpx",
    "awslambdaric",
    "types-python-jose",
}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    pairs = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def cmd_handler() -> str:
    cmds = [arguments for keyword, arguments in instructions() if keyword == "CMD"]
    assert len(cmds) == 1, "one CMD"
    value = json.loads(cmds[0])  # exec form is a JSON array; shell form would not parse
    assert isinstance(value, list)
    assert len(value) == 1
    assert isinstance(value[0], str)
    return value[0]


def requirement_names(path: Path) -> dict[str, str]:
    names = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), f"no includes or options in {path.name}: {line}"
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]+\])?==([0-9][^ ;]*)", line)
        assert match, f"not pinned with ==: {line}"
        names[match.group(1).lower().replace("_", "-")] = match.group(3)
    return names


def _python_version(tag: str) -> tuple[int, int]:
    version = re.match(r"(\d+)\.(\d+)", tag)
    assert version, f"tag {tag!r} pins no Python version"
    return int(version.group(1)), int(version.group(2))


def test_base_image_is_the_lambda_python_image_3_12_or_newer():
    froms = [arguments for keyword, arguments in instructions() if keyword == "FROM"]
    final = froms[-1]
    image, _, tag = final.split()[0].partition(":")
    assert image == "public.ecr.aws/lambda/python"
    assert _python_version(tag) >= (3, 12)
    for line in froms:
        assert "--platform" not in line, "multi-arch: the CDK asset picks the platform"


def test_dependencies_are_built_for_the_final_python_and_slimmed():
    """The wheels are installed by the same Python minor as the final image runs, in a stage
    that has `strip`, and slimmed by slim_dependencies.py."""
    (dependencies,) = [a for k, a in instructions() if k == "FROM" and " AS dependencies" in a]
    image, _, tag = dependencies.split()[0].partition(":")
    assert image.endswith("/python")
    final = [a for k, a in instructions() if k == "FROM"][-1].split()[0].partition(":")[2]
    assert _python_version(tag) == _python_version(final)
    runs = " ".join(a for k, a in instructions() if k == "RUN")
    assert "binutils" in runs
    assert "slim_dependencies.py /dependencies" in runs


def test_cmd_is_exec_form_naming_the_lambda_handler():
    assert cmd_handler() == "courtside.lambda_handler.handler"


def test_image_installs_only_the_runtime_locks_with_hashes_and_copies_existing_paths():
    """pip installs from the runtime lock (or the runtime-plus-tracing lock), hashes required,
    never from the direct requirement files: the whole tree pinned and checked, taken as locked
    (--no-deps, then pip check) and never resolved again against the index."""
    runs = [arguments for keyword, arguments in instructions() if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert len(installs) == 1
    (install,) = installs
    assert install.count("pip install") == 1
    assert {"--require-hashes", "--only-binary=:all:", "--no-deps"} <= set(install.split())
    assert "pip check" in install, "the tree installed --no-deps is proven whole"
    assert set(re.findall(r"\brequirements[\w-]*\.\w+", install)) == {
        RUNTIME_LOCK.name,
        OTEL_LOCK.name,
    }
    copied = [a for k, a in instructions() if k == "COPY" and not a.startswith("--from=")]
    assert {RUNTIME_LOCK.name, OTEL_LOCK.name} <= {w for a in copied for w in a.split()[:-1]}
    assert not any(w.endswith(".txt") for a in copied for w in a.split()), copied
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from="):
            for source in arguments.split()[:-1]:
                assert (API_DIR / source).exists(), f"COPY {source}: not in the build context"


@pytest.mark.parametrize("path", [REQUIREMENTS, RUNTIME_LOCK, OTEL_LOCK], ids=lambda p: p.name)
def test_runtime_requirements_exclude_infrastructure_and_dev_packages(path):
    """The direct runtime requirements, and the whole tree their locks install."""
    names = set(requirement_names(path) if path == REQUIREMENTS else locked_versions(path))
    assert {"fastapi", "mangum", "sqlalchemy", "asyncpg"} <= names
    assert not (names & FORBIDDEN), names & FORBIDDEN
    assert not any(name.startswith(("aws-cdk", "pytest", "types-")) for name in names)


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    from courtside.migrate import upgrade

    database = tmp_path / "lambda.db"
    url = f"sqlite+aiosqlite:///{database}"
    upgrade(url)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "PYTEST_", "OTEL_"))
    }
    env.update(
        PYTHONPATH=str(API_DIR),
        DATABASE_URL=url,
        ENVIRONMENT="local",
        LOG_LEVEL="INFO",
        AWS_LAMBDA_FUNCTION_NAME="courtside-test-api",
        AWS_REGION="us-east-1",
    )
    return env


def test_cmd_handler_imports_and_answers_an_event_in_a_fresh_process(tmp_path):
    module, _, function = cmd_handler().rpartition(".")
    script = (
        "import importlib, json, sys\n"
        "from types import SimpleNamespace\n"
        f"handler = getattr(importlib.import_module({module!r}), {function!r})\n"
        "event = json.load(open(sys.argv[1]))\n"
        "context = SimpleNamespace(aws_request_id='fresh-1', client_context=None, identity=None)\n"
        "print('RESULT ' + json.dumps(handler(event, context)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, str(EVENTS_DIR / "function_url_teams.json")],
        env=_subprocess_env(tmp_path),
        cwd=API_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    response = json.loads(line.removeprefix("RESULT "))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["items"] == []
    assert response["headers"]["x-request-id"] == "fresh-1"


def unmet_requirements(target: Path) -> list[str]:
    """`pip check` of a `--target` directory alone: each requirement of each distribution in
    it, for this interpreter, that no distribution in it satisfies. (pip check itself would
    also count the test environment's packages as installed.)"""
    installed = {
        canonical(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions(path=[str(target)])
    }
    unmet = []
    for dist in importlib.metadata.distributions(path=[str(target)]):
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            version = installed.get(canonical(requirement.name))
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                unmet.append(f"{dist.metadata['Name']} requires {line}, has {version}")
    return unmet


LAMBDA_PLATFORMS = ("x86_64", "aarch64")
HOST = "host"
"""The wheelhouse's name for this interpreter's own platform (the slimmed trees that run)."""

LOCKED = ("--only-binary=:all:", "--require-hashes", "--no-deps")
"""The Dockerfile's install flags (test_image_installs_only_the_runtime_locks_...): wheels only,
every one checked against the lock's hashes, nothing resolved again. Its install also passes
`--no-compile` (the image compiles the bytecode itself, after slimming)."""


def _pip(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pip", *arguments, "--quiet", "--disable-pip-version-check"]


def _target_flags(platform: str) -> list[str]:
    """pip's flags for the Lambda target (CPython 3.12, manylinux wheels of `platform`), from
    any machine; none for this interpreter (`HOST`)."""
    if platform == HOST:
        return []
    return [
        *("--implementation=cp", "--python-version=3.12", "--abi=cp312"),
        f"--platform=manylinux2014_{platform}",
        f"--platform=manylinux_2_28_{platform}",
    ]


WHEELHOUSES = Path(sys.prefix) / "test-wheelhouses"
"""Where the wheelhouse is kept between runs: in the venv running the suite (a warm .venv keeps
it, a fresh clone fetches it), one directory per lock content and download command."""


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """The wheels of the tracing lock, fetched from the index the image builds from, for the
    Lambda target on both architectures and for this interpreter (one directory each). That
    lock is the runtime lock plus tracing at the same versions (`make lock` writes it with the
    runtime lock as constraints), so its wheels serve both locks.

    The download is pip's own finder with the Dockerfile's flags, hashes required, so a locked
    package without a wheel for a target, or a wheel whose hash the lock lacks, fails here; each
    install from the wheelhouse then checks every wheel against its own lock's hashes again.
    Fetched once rather than by each of the six installs (each went back to the index for every
    package: ~15 s of waiting and ~5 s of CPU an install), the three side by side.

    Kept in the venv under the SHA-256 of the lock and of the download commands: a lock pins
    every file by its hash, so the same lock can only ever fetch the same wheels, and any
    change to the lock or the flags fetches again (the ~40 s of network waits, otherwise
    paid by every run of the suite)."""
    commands = {
        platform: [
            *_pip("download", *LOCKED),
            *_target_flags(platform),
            *("-r", str(OTEL_LOCK.relative_to(REPO))),
        ]
        for platform in (*LAMBDA_PLATFORMS, HOST)
    }
    key = hashlib.sha256(OTEL_LOCK.read_bytes())
    key.update(json.dumps({name: command[1:] for name, command in commands.items()}).encode())
    root = WHEELHOUSES / key.hexdigest()[:16]
    if root.is_dir():
        return root
    partial = Path(tempfile.mkdtemp(prefix="partial-", dir=_made(WHEELHOUSES)))
    downloads = {
        platform: subprocess.Popen(
            [*command, "--dest", str(partial / platform)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for platform, command in commands.items()
    }
    failures = []
    for platform, download in downloads.items():
        _stdout, stderr = download.communicate(timeout=300)
        if download.returncode != 0:
            failures.append(f"{platform}: {stderr}")
    if failures:
        shutil.rmtree(partial)
    assert not failures, failures
    partial.rename(root)  # whole or absent: a failed or interrupted fetch is never reused
    for stale in WHEELHOUSES.iterdir():  # earlier locks' wheels, and interrupted fetches
        if stale != root:
            shutil.rmtree(stale)
    return root


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def install_locked(lock: Path, platform: str, target: Path, wheelhouse: Path) -> None:
    """The build stage's install into `target`: `pip install --target` of `lock` with the
    Dockerfile's flags, for the Lambda target on `platform` or for this interpreter (`HOST`),
    from the wheelhouse alone (`--no-index`). It fails if a wheel's hash is not in `lock`;
    that every dependency is locked is checked by `unmet_requirements` in `install_slimmed`
    (this interpreter's markers would not be the Lambda target's)."""
    completed = subprocess.run(
        [
            *_pip("install", "--no-compile", *LOCKED),
            *("--no-index", "--find-links", str(wheelhouse / platform)),
            *_target_flags(platform),
            *("--target", str(target), "-r", str(lock)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("platform", LAMBDA_PLATFORMS)
def test_runtime_lock_installs_under_the_size_budget(tmp_path, platform, wheelhouse, capsys):
    """The runtime lock installed for the Lambda target, so the figure is the image's and every
    locked package has a wheel, with its hash locked, for both architectures. Bytecode is not
    counted here: docs/runtime.md ("The image") has the figure with it."""
    target = tmp_path / "target"
    install_locked(RUNTIME_LOCK, platform, target, wheelhouse)
    size = sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
    with capsys.disabled():
        print(f"\n[runtime requirements, {platform}, cp312] {size / 1024 / 1024:.1f} MiB")
    assert 10 * 1024 * 1024 < size < SIZE_BUDGET_BYTES


@pytest.mark.parametrize("platform", LAMBDA_PLATFORMS)
def test_tracing_lock_installs_for_the_lambda_target(tmp_path, platform, wheelhouse):
    """The image built with WITH_OTEL=true installs this lock instead: hashes and wheels for
    both architectures, and the SDK and exporter the tracing needs are in it."""
    target = tmp_path / "target"
    install_locked(OTEL_LOCK, platform, target, wheelhouse)
    assert (target / "opentelemetry" / "sdk").is_dir()
    assert (target / "opentelemetry" / "exporter" / "otlp" / "proto" / "common").is_dir()
    assert (target / "urllib3").is_dir()


def install_slimmed(lock: Path, target: Path, wheelhouse: Path) -> None:
    """`lock` installed for this interpreter as the image's build stage installs it (hashes,
    no resolution, every requirement met), then slimmed by slim_dependencies.py."""
    install_locked(lock, HOST, target, wheelhouse)
    assert unmet_requirements(target) == []
    slimmed = subprocess.run(
        [sys.executable, str(API_DIR / "slim_dependencies.py"), str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "MiB ->" in slimmed.stdout


def test_slimmed_dependencies_still_migrate_and_answer(tmp_path, wheelhouse):
    """The runtime lock installed for this interpreter, slimmed as the image slims it
    (slim_dependencies.py), then used alone (`python -S`: no other site-packages) to migrate a
    database and answer an event."""
    target = tmp_path / "target"
    install_slimmed(RUNTIME_LOCK, target, wheelhouse)
    assert not (target / "sqlalchemy" / "dialects" / "mysql").exists()
    assert not (target / "aws_lambda_powertools" / "event_handler").exists()
    assert not (target / "aws_lambda_powertools" / "utilities" / "data_classes").exists()
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(target)!r}, {str(API_DIR)!r}]\n"
        "from types import SimpleNamespace\n"
        "from courtside.migrate import upgrade\n"
        "from courtside.settings import get_database_settings\n"
        "upgrade(get_database_settings().database_url)\n"
        "from courtside.lambda_handler import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "context = SimpleNamespace(aws_request_id='slim-1', client_context=None, identity=None)\n"
        "print('RESULT ' + json.dumps(handler(event, context)))\n"
    )
    env = _subprocess_env(tmp_path)
    env.pop("PYTHONPATH")
    completed = subprocess.run(
        [sys.executable, "-S", "-c", script, str(EVENTS_DIR / "function_url_teams.json")],
        env=env,
        cwd=API_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    assert json.loads(line.removeprefix("RESULT "))["statusCode"] == 200
    # Logged with Powertools' formatter, from the slimmed tree.
    logs = [json.loads(x) for x in completed.stdout.splitlines() if x.startswith("{")]
    assert any(log.get("correlation_id") == "slim-1" for log in logs), completed.stdout

    # The secrets path: Powertools' SecretsProvider from the slimmed tree, with boto3 (which
    # the Lambda base image provides) from this environment.
    secrets = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path[:0] = [{str(target)!r}, {str(API_DIR)!r}]\n"
            "from aws_lambda_powertools.utilities.parameters import SecretsProvider\n"
            "import aws_lambda_powertools\n"
            "print(aws_lambda_powertools.__file__)\n",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert secrets.returncode == 0, secrets.stderr
    assert secrets.stdout.strip().startswith(str(target))


LAMBDA_BASE_IMAGE_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six")
"""What the Lambda Python base image has in /var/runtime that the app may import (the AWS SDK
and its dependencies): never in our locks (FORBIDDEN), always in the image."""


def lambda_base_image_sdk(directory: Path) -> Path:
    """A stand-in for the base image's /var/runtime: this environment's AWS SDK, linked."""
    directory.mkdir()
    for name in LAMBDA_BASE_IMAGE_SDK:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (directory / source.name).symlink_to(source)
    return directory


def test_the_tracing_image_starts_traces_and_exports(tmp_path, wheelhouse):
    """A function with OTEL_ENABLED=true, in the dependencies the WITH_OTEL=true image installs
    (requirements-otel.lock, slimmed) and the base image's SDK, nothing else (`python -S`):
    its init sets tracing up (the SDK, the OTLP exporter, the SigV4 signer and botocore), an
    invocation exports signed spans before returning."""
    from tests.otlp_receiver import AwsCredentials, OtlpReceiver

    target = tmp_path / "target"
    install_slimmed(OTEL_LOCK, target, wheelhouse)
    runtime = lambda_base_image_sdk(tmp_path / "runtime")
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(target)!r}, {str(runtime)!r}, {str(API_DIR)!r}]\n"
        "from types import SimpleNamespace\n"
        "from courtside.migrate import upgrade\n"
        "from courtside.settings import get_database_settings\n"
        "upgrade(get_database_settings().database_url)\n"
        "from courtside.lambda_handler import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "context = SimpleNamespace(aws_request_id='otel-1', client_context=None, identity=None)\n"
        "response = handler(event, context)\n"
        "origins = {m: sys.modules[m].__file__ for m in\n"
        "    ('opentelemetry.sdk.trace', 'opentelemetry.exporter.otlp.proto.common',\n"
        "     'courtside.tracing.export', 'botocore.auth', 'urllib3')}\n"
        "print('RESULT ' + json.dumps({'status': response['statusCode'], 'origins': origins}))\n"
    )
    credentials = AwsCredentials("AKIDEXAMPLEIMAGE", "secret-of-the-image-test", "token-1")
    with OtlpReceiver(credentials=credentials, region="eu-west-1") as receiver:
        env = _subprocess_env(tmp_path)
        env.pop("PYTHONPATH")
        env.update(
            OTEL_ENABLED="true",
            OTEL_SERVICE_NAME="courtside-image-test",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.url,
            OTEL_EXPORTER_SIGV4_REGION="eu-west-1",
            AWS_ACCESS_KEY_ID=credentials.access_key,
            AWS_SECRET_ACCESS_KEY=credentials.secret_key,
            AWS_SESSION_TOKEN=credentials.token or "",
        )
        completed = subprocess.run(
            [sys.executable, "-S", "-c", script, str(EVENTS_DIR / "function_url_teams.json")],
            env=env,
            cwd=API_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        spans = receiver.spans
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["status"] == 200
    origins = result["origins"]
    for module in (
        "opentelemetry.sdk.trace",
        "opentelemetry.exporter.otlp.proto.common",
        "urllib3",
    ):
        assert origins[module].startswith(str(target)), (module, origins[module])
    assert origins["botocore.auth"].startswith(str(runtime))
    assert [r.status for r in receiver.requests] == [200] * len(receiver.requests)
    server = [s for s in spans if s.attributes.get("courtside.request_id") == "otel-1"]
    assert len(server) == 1
    assert any(s.parent_span_id == server[0].span_id for s in spans)  # its statements
    assert server[0].resource["service.name"] == "courtside-image-test"


def test_the_image_compiles_the_templates_after_the_code_into_the_directory_read_at_run_time():
    """The build writes Jinja's bytecode where `template_bytecode.COMPILED_DIR` points, with
    the image's own Python (its version is part of each entry), after the code is copied."""
    from courtside.web import template_bytecode

    steps = instructions()
    runs = [arguments for keyword, arguments in steps if keyword == "RUN"]
    (compile_step,) = [run for run in runs if "courtside.web.templating" in run]
    target = template_bytecode.COMPILED_DIR.relative_to(API_DIR)
    assert compile_step.endswith(f'"${{LAMBDA_TASK_ROOT}}/{target.as_posix()}"')
    assert "PYTHONDONTWRITEBYTECODE=1" in compile_step  # compileall's bytecode stays as is
    position = steps.index(("RUN", compile_step))
    code_copy = steps.index(("COPY", "courtside/ ${LAMBDA_TASK_ROOT}/courtside/"))
    assert code_copy < position
    assert "FROM" not in [keyword for keyword, _ in steps[code_copy:position]]
