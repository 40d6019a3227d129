"""One CloudWatch dashboard per environment: what users see first, then each dependency."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from api.infrastructure import ServiceFunction
from cache.infrastructure import Cache
from cdn.infrastructure import Cdn
from database.infrastructure import DatabaseShape


def _graph(title: str, *metrics: cloudwatch.IMetric, width: int = 8) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


def _each(
    services: Sequence[ServiceFunction],
    metrics: Callable[[ServiceFunction], dict[str, cloudwatch.Metric]],
) -> list[cloudwatch.IMetric]:
    """Every service's metrics, each labelled with the service's name."""
    return [
        metric.with_(label=f"{s.service_name} {label}")
        for s in services
        for label, metric in metrics(s).items()
    ]


class OperationsDashboard(Construct):
    """Rows: the edge (CloudFront, us-east-1 metrics), the services (each graph holds every
    service's line: one function, or public, web and ingest), the database, the cache."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        services: Sequence[ServiceFunction],
        database: DatabaseShape,
        cache: Cache,
        cdn: Cdn,
    ) -> None:
        super().__init__(scope, construct_id)
        five = Duration.minutes(5)
        self._dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            default_interval=Duration.hours(6),
            widgets=[
                [
                    _graph("CloudFront requests", cdn.requests_metric()),
                    _graph(
                        "CloudFront error rate (%)",
                        cdn.error_rate_metric("5xx"),
                        cdn.error_rate_metric("4xx"),
                    ),
                    _graph(
                        "App request latency (ms)",
                        *_each(
                            services,
                            lambda s: {
                                "p50": s.latency_metric(statistic="p50"),
                                "p99": s.latency_metric(statistic="p99"),
                            },
                        ),
                    ),
                ],
                [
                    _graph(
                        "Function URL responses",
                        *_each(
                            services,
                            lambda s: {
                                "5xx": s.url_5xx_metric(),
                                "4xx": s.url_4xx_metric(),
                                "invocations": s.function.metric_invocations(period=five),
                            },
                        ),
                    ),
                    _graph(
                        "Lambda errors and throttles",
                        *_each(
                            services,
                            lambda s: {
                                "errors": s.function.metric_errors(period=five),
                                "throttles": s.function.metric_throttles(period=five),
                            },
                        ),
                    ),
                    _graph(
                        "Lambda duration (ms) and concurrency",
                        *_each(
                            services,
                            lambda s: {
                                "p50": s.function.metric_duration(statistic="p50", period=five),
                                "p99": s.function.metric_duration(statistic="p99", period=five),
                                "concurrency": s.concurrency_metric(),
                            },
                        ),
                    ),
                ],
                [
                    _graph(title, *metrics)
                    for title, metrics in database.dashboard_metrics().items()
                ],
                [
                    _graph(
                        "Cache engine CPU (%)",
                        *(
                            cache.node_metric("EngineCPUUtilization", node, statistic="Average")
                            for node in range(1, cache.node_count + 1)
                        ),
                    ),
                    _graph(
                        "Cache memory (% of maxmemory)",
                        *(
                            cache.node_metric(
                                "DatabaseMemoryUsagePercentage", node, statistic="Maximum"
                            )
                            for node in range(1, cache.node_count + 1)
                        ),
                    ),
                    _graph(
                        "Cache evictions",
                        *(
                            cache.node_metric("Evictions", node, statistic="Sum")
                            for node in range(1, cache.node_count + 1)
                        ),
                    ),
                ],
            ],
        )

    @property
    def dashboard(self) -> cloudwatch.Dashboard:
        return self._dashboard
