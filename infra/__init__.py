"""Courtside's CDK application: environment config, network and the per-environment stacks.

The stacks read two things the app declares once, in its own package: which route groups run
together as a service (`courtside.services_registry`, `courtside.route_groups`: data only at run
time) and how long a request may wait on its dependencies (`courtside.settings`). So the app's
source directory is made importable here, for `app.py`, the scripts and the tests alike.
"""

import sys
from pathlib import Path

_APP_SOURCE = str(Path(__file__).resolve().parents[1] / "api")
if _APP_SOURCE not in sys.path:
    sys.path.append(_APP_SOURCE)
