#!/bin/sh
# cdk.json's "app" command: app.py under the repository's virtualenv, or a clear error saying how
# to make one. The CDK CLI runs it from the repository root (where cdk.json is), as `make synth` does.
PYTHON=.venv/bin/python
FIX="Run \`make synth ENV=dev\` once: it creates .venv with the dev dependencies (then \`npx cdk ...\` works too)."
if [ ! -x "$PYTHON" ]; then
    echo "cdk: $PYTHON not found. $FIX" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("aws_cdk") is None)'; then
    echo "cdk: .venv has no aws-cdk-lib (\`make run\` installs the app's dependencies only). $FIX" >&2
    exit 1
fi
# The stacks import the app's package (courtside, under api/): see infra/__init__.py.
PYTHONPATH="api${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" app.py
