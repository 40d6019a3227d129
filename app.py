#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c env=dev|staging|prod` (default dev). See infra/."""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.application import build, new_app

app = new_app()
build(app)
app.synth()
