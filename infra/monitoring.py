"""One CloudWatch dashboard per environment: what users see first, then each dependency."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from api.infrastructure import ServiceFunction
from cache.infrastructure import Cache
from cdn.infrastructure import Cdn
from database.infrastructure import Database


def _graph(title: str, *metrics: cloudwatch.IMetric, width: int = 8) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


class OperationsDashboard(Construct):
    """Rows: the edge (CloudFront, us-east-1 metrics), the service, the database, the cache."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        service: ServiceFunction,
        database: Database,
        cache: Cache,
        cdn: Cdn,
    ) -> None:
        super().__init__(scope, construct_id)
        fn = service.function
        db = database.instance
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
                        service.latency_metric(statistic="p50"),
                        service.latency_metric(statistic="p99"),
                    ),
                ],
                [
                    _graph(
                        "Function URL responses",
                        service.url_5xx_metric(),
                        service.url_4xx_metric(),
                        fn.metric_invocations(period=five),
                    ),
                    _graph(
                        "Lambda errors and throttles",
                        fn.metric_errors(period=five),
                        fn.metric_throttles(period=five),
                    ),
                    _graph(
                        "Lambda duration (ms) and concurrency",
                        fn.metric_duration(statistic="p50", period=five),
                        fn.metric_duration(statistic="p99", period=five),
                        service.concurrency_metric(),
                    ),
                ],
                [
                    _graph("PostgreSQL CPU (%)", db.metric_cpu_utilization()),
                    _graph("PostgreSQL connections", db.metric_database_connections()),
                    _graph(
                        "PostgreSQL free storage and memory (bytes)",
                        db.metric_free_storage_space(),
                        db.metric_freeable_memory(),
                    ),
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
