"""Courtside's CDK application: environment config, network and the per-environment stacks.

The stacks read two things the app declares once, in its own package: which route groups run
together as a service (`courtside.services_registry`, `courtside.route_groups`: data only at run
time) and how long a request may wait on its dependencies (`courtside.settings`). The app's
source directory `api/` is on the path of whatever runs them: `scripts/cdk_app.sh` (the CDK
CLI's command) and the Makefile set `PYTHONPATH`, pytest's `pythonpath` and mypy's
`mypy_path` name it. Nothing here edits `sys.path`.
"""
