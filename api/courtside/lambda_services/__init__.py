"""One Lambda entry point per service of `courtside.services_registry` (``split`` deployments).

Each module builds its service's app at import (Lambda's init phase) and exposes `handler`;
the function of that service runs the image with its command set to
``courtside.lambda_services.<service>.handler``.
"""
