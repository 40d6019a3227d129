#!/usr/bin/env python3
"""Preflight: can this AWS account take a deploy of the environment? Reads only, creates nothing.

    make preflight ENV=prod            # with the deploy's credentials (CI runs it first)

A first deploy on a new account otherwise fails deep into its 20-40 minutes — after RDS is up —
and its rollback can strand retained resources. Each check reads what the deploy will need from
the account and, when it is missing, says the number or the step:

1. **account**: the credentials are the environment's account (`account` in cdk.json);
2. **lambda concurrency**: the "Concurrent executions" quota is at least the functions'
   reserves plus the 100 Lambda keeps unreserved (computed from the same validated config the
   stacks use, `infra.config`); before a first deploy, also what other functions already
   reserve;
3. **cdk bootstrap**: the ``CDKToolkit`` stack, complete and recent enough for the templates, in
   the environment's region and in us-east-1 (the certificate, WAF and edge function live there);
4. **hosted zone**: `hosted_zone_id` exists in this account, is public, and is `hosted_zone_name`;
5. **certificate**: CloudFront takes its certificate from us-east-1 only: the stacks request it
   there, validated by DNS in that zone; every name on it must lie in the zone, and (first deploy)
   none may already have an A, AAAA or CNAME record there (the stack's alias records would fail);
6. **ses** (when `ses_enabled`): sending is enabled in the region, out of the sandbox (or
   ``--allow-ses-sandbox``);
7. **stacks**: no stack of the environment is mid-deploy or in a state a deploy cannot continue
   from (a rolled-back first attempt must be deleted first; docs/deploy.md, "First deploy").

Exit status 0 when every check passes, 1 otherwise (the lines say which and why), 2 on bad
arguments or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "api")]

from infra.config import (  # noqa: E402
    CONTEXT_KEY,
    EDGE_REGION,
    UNRESERVED_CONCURRENCY_FLOOR,
    ConfigError,
    EnvironmentConfig,
    load_config,
)

BOOTSTRAP_STACK = "CDKToolkit"
MIN_BOOTSTRAP_VERSION = 6
"""The templates' ``CheckBootstrapVersion`` rule refuses versions below this (a test reads the
rule from the synthesized templates, so the two cannot disagree)."""
LAMBDA_CONCURRENCY_QUOTA_CODE = "L-B99A9384"
"""Service Quotas' code of Lambda's "Concurrent executions"."""
RECORD_TYPES = frozenset({"A", "AAAA", "CNAME"})
USABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})
CONTINUABLE = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})
"""States a ``--no-rollback`` deploy stops in; deploying again (still ``--no-rollback``)
continues from them."""

ClientFactory = Callable[[str, str], Any]
"""(service, region) -> a boto3 client."""


@dataclass(frozen=True)
class Result:
    check: str
    ok: bool
    detail: str


def boto3_clients() -> ClientFactory:  # pragma: no cover - the real AWS path
    import boto3

    session = boto3.session.Session()
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = session.client(service, region_name=region)
        return cache[(service, region)]

    return client


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _stack(client: Any, name: str) -> dict[str, Any] | None:
    """The stack, or None when it does not exist."""
    try:
        stacks = client.describe_stacks(StackName=name)["Stacks"]
    except Exception as error:
        if _code(error) == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def stack_names(config: EnvironmentConfig) -> list[tuple[str, str]]:
    """(stack name, region) of every stack of the environment (infra.stacks' names)."""
    main = f"Courtside-{config.name}"
    if not config.needs_edge_stack:
        return [(main, config.region)]
    return [
        (f"{main}-Edge", EDGE_REGION),
        (main, config.region),
        (f"{main}-EdgeAlarms", EDGE_REGION),
    ]


class Preflight:
    """The checks for one environment, reading the account through `client`."""

    def __init__(
        self, config: EnvironmentConfig, client: ClientFactory, *, allow_ses_sandbox: bool = False
    ) -> None:
        self.config = config
        self.client = client
        self.allow_ses_sandbox = allow_ses_sandbox
        self.env = config.name
        self._first_deploy = True

    def run(self) -> list[Result]:
        account = self.account()
        if not account.ok:  # every other answer would be about the wrong account
            return [account]
        stacks = self.stacks()
        first_deploy = self._first_deploy
        concurrency = self.lambda_concurrency(first_deploy=first_deploy)
        bootstrap = self.bootstrap()
        zone = self.hosted_zone()
        return [
            account,
            concurrency,
            *bootstrap,
            zone,
            self.certificate(first_deploy=first_deploy, zone_ok=zone.ok),
            *([self.ses()] if self.config.ses_enabled else []),
            *stacks,
        ]

    # --- 1. account -----------------------------------------------------------------------

    def account(self) -> Result:
        sts = self.client("sts", self.config.region)
        identity = sts.get_caller_identity()
        found = str(identity["Account"])
        if found != self.config.account:
            return Result(
                "account",
                False,
                f"the credentials are for account {found} ({identity.get('Arn', '?')}), "
                f"{self.env}'s is {self.config.account} (cdk.json): use {self.env}'s credentials",
            )
        return Result("account", True, f"{found} ({identity.get('Arn', '?')})")

    # --- 2. Lambda concurrency ------------------------------------------------------------

    def lambda_concurrency(self, *, first_deploy: bool) -> Result:
        config = self.config
        needed = config.concurrency_quota_needed
        reserves = ", ".join(
            f"{plan.service.name} {plan.reserved_concurrency}"
            for plan in config.functions
            if plan.reserved_concurrency
        )
        settings = self.client("lambda", config.region).get_account_settings()["AccountLimit"]
        quota = int(settings["ConcurrentExecutions"])
        unreserved = int(settings["UnreservedConcurrentExecutions"])
        name = "lambda concurrency"
        if not needed:
            return Result(name, True, f"{self.env} reserves none; the account's quota is {quota}")
        total = config.reserved_concurrency_total
        ask = (
            f"ask Service Quotas for at least {{need}} in {config.region}: aws service-quotas "
            "request-service-quota-increase --service-code lambda --quota-code "
            f"{LAMBDA_CONCURRENCY_QUOTA_CODE} --desired-value {{need}} --region {config.region}"
        )
        if quota < needed:
            return Result(
                name,
                False,
                f"the account's Concurrent executions quota is {quota}; {self.env} reserves "
                f"{total} ({reserves}) and Lambda keeps {UNRESERVED_CONCURRENCY_FLOOR} "
                f"unreserved, so it needs at least {needed}: " + ask.format(need=needed),
            )
        if first_deploy and unreserved - total < UNRESERVED_CONCURRENCY_FLOOR:
            elsewhere = quota - unreserved
            need = elsewhere + needed
            return Result(
                name,
                False,
                f"other functions already reserve {elsewhere} of the quota {quota}; {self.env}'s "
                f"{total} ({reserves}) would leave {unreserved - total} unreserved, below "
                f"Lambda's {UNRESERVED_CONCURRENCY_FLOOR}: lower those reserves, or "
                + ask.format(need=need),
            )
        return Result(
            name, True, f"quota {quota} >= {needed} ({total} reserved: {reserves}, + 100 free)"
        )

    # --- 3. CDK bootstrap -----------------------------------------------------------------

    def bootstrap(self) -> list[Result]:
        results = []
        for region in dict.fromkeys((self.config.region, EDGE_REGION)):
            name = f"cdk bootstrap {region}"
            stack = _stack(self.client("cloudformation", region), BOOTSTRAP_STACK)
            fix = f"run `make bootstrap ENV={self.env}` (it bootstraps both regions)"
            if stack is None:
                results.append(Result(name, False, f"no {BOOTSTRAP_STACK} stack: {fix}"))
                continue
            status = stack["StackStatus"]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            version = int(outputs.get("BootstrapVersion", 0))
            if status not in USABLE:
                results.append(Result(name, False, f"{BOOTSTRAP_STACK} is {status}: {fix}"))
            elif version < MIN_BOOTSTRAP_VERSION:
                results.append(
                    Result(
                        name,
                        False,
                        f"bootstrap version {version}, the templates need at least "
                        f"{MIN_BOOTSTRAP_VERSION}: {fix}",
                    )
                )
            else:
                results.append(Result(name, True, f"version {version} ({status})"))
        return results

    # --- 4. hosted zone -------------------------------------------------------------------

    def hosted_zone(self) -> Result:
        config = self.config
        route53 = self.client("route53", EDGE_REGION)
        try:
            zone = route53.get_hosted_zone(Id=config.hosted_zone_id)["HostedZone"]
        except Exception as error:
            if _code(error) != "NoSuchHostedZone":
                raise
            return Result(
                "hosted zone",
                False,
                f"no hosted zone {config.hosted_zone_id} in this account: create the public zone "
                f"{config.hosted_zone_name}, delegate it from the registrar, and put its id in "
                "hosted_zone_id",
            )
        name = str(zone["Name"]).rstrip(".")
        if name != config.hosted_zone_name:
            return Result(
                "hosted zone",
                False,
                f"{config.hosted_zone_id} is the zone {name}, cdk.json says "
                f"{config.hosted_zone_name}: fix hosted_zone_id or hosted_zone_name",
            )
        if zone.get("Config", {}).get("PrivateZone"):
            return Result(
                "hosted zone",
                False,
                f"{name} ({config.hosted_zone_id}) is private: the certificate's validation and "
                "the site's records need the public zone",
            )
        return Result("hosted zone", True, f"{name} ({config.hosted_zone_id}), public")

    # --- 5. certificate -------------------------------------------------------------------

    def certificate(self, *, first_deploy: bool, zone_ok: bool) -> Result:
        config = self.config
        if not zone_ok:
            return Result(
                "certificate", False, "cannot be validated without its hosted zone (above)"
            )
        names = [config.domain_name, *sorted(config.service_aliases.values())]
        zone = config.hosted_zone_name
        outside = [n for n in names if not (n == zone or n.endswith("." + zone))]
        if outside:
            return Result(
                "certificate",
                False,
                f"{', '.join(outside)} not in the zone {zone}: DNS validation cannot succeed",
            )
        if first_deploy:
            taken = self._existing_records(names)
            if taken:
                return Result(
                    "certificate",
                    False,
                    f"{'; '.join(taken)} already in {zone}: the stack's alias records for "
                    "CloudFront would fail to be created (after ~15 minutes); delete them or "
                    "choose another domain_name",
                )
        return Result(
            "certificate",
            True,
            f"requested in {EDGE_REGION} (CloudFront's region) for {', '.join(names)}, "
            f"validated by DNS in {zone}",
        )

    def _existing_records(self, names: Iterable[str]) -> list[str]:
        route53 = self.client("route53", EDGE_REGION)
        found = []
        for name in names:
            page = route53.list_resource_record_sets(
                HostedZoneId=self.config.hosted_zone_id, StartRecordName=name, MaxItems="10"
            )
            found += [
                f"{name} {record['Type']}"
                for record in page["ResourceRecordSets"]
                if str(record["Name"]).rstrip(".") == name and record["Type"] in RECORD_TYPES
            ]
        return found

    # --- 6. SES ---------------------------------------------------------------------------

    def ses(self) -> Result:
        region = self.config.region
        account = self.client("sesv2", region).get_account()
        if not account.get("SendingEnabled", False):
            return Result(
                "ses",
                False,
                f"sending is paused for this account in {region} "
                f"(enforcement: {account.get('EnforcementStatus', '?')}): resolve it in the SES "
                "console, or set ses_enabled false",
            )
        if not account.get("ProductionAccessEnabled", False) and not self.allow_ses_sandbox:
            return Result(
                "ses",
                False,
                f"SES is in the sandbox in {region}: only verified addresses would get e-mail. "
                "Request production access (SES console, 'Request production access'; "
                "docs/deploy.md), or pass --allow-ses-sandbox (PREFLIGHT_FLAGS) knowingly",
            )
        where = "production" if account.get("ProductionAccessEnabled") else "sandbox (allowed)"
        return Result("ses", True, f"sending enabled in {region}, {where}")

    # --- 7. the environment's stacks ------------------------------------------------------

    def stacks(self) -> list[Result]:
        results = []
        for name, region in stack_names(self.config):
            stack = _stack(self.client("cloudformation", region), name)
            if name == f"Courtside-{self.env}":
                self._first_deploy = stack is None
            results.append(self._stack_result(name, region, stack))
        return results

    def _stack_result(self, name: str, region: str, stack: dict[str, Any] | None) -> Result:
        check = f"stack {name}"
        if stack is None:
            return Result(check, True, f"not deployed yet in {region} (a first deploy)")
        status = str(stack["StackStatus"])
        if status in USABLE:
            return Result(check, True, status)
        if status in CONTINUABLE:
            return Result(
                check,
                True,
                f"{status}: a --no-rollback deploy stopped here; fix the cause, then deploy "
                "again with NO_ROLLBACK=1: it continues from the failed resource",
            )
        if status.endswith("_IN_PROGRESS"):
            return Result(check, False, f"{status}: another deploy is running; wait for it")
        if status == "ROLLBACK_COMPLETE":
            step = "delete it (`aws cloudformation delete-stack --stack-name " + name + "`"
            if self.config.is_production:
                step += ", after update-termination-protection --no-enable-termination-protection"
            return Result(
                check,
                False,
                f"ROLLBACK_COMPLETE: a first attempt was rolled back and cannot be updated; "
                f"{step}), then deploy again (docs/deploy.md, 'If the first deploy fails')",
            )
        return Result(
            check,
            False,
            f"{status}: see the stack's events, then docs/deploy.md, 'If the first deploy "
            "fails' (a failed rollback or deletion needs the blocking resource handled first)",
        )


def read_context(root: Path = ROOT) -> dict[str, Any]:
    """The context `cdk synth` sees: cdk.json's `context` merged with cdk.context.json."""
    context: dict[str, Any] = json.loads((root / "cdk.json").read_text())["context"]
    extra = root / "cdk.context.json"
    if extra.exists():
        context.update(json.loads(extra.read_text()))
    return context


def main(argv: list[str] | None = None, client: ClientFactory | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", choices=("dev", "staging", "prod"))
    parser.add_argument(
        "--allow-ses-sandbox",
        action="store_true",
        help="accept SES's sandbox (only verified recipients) when e-mail is on",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config({CONTEXT_KEY: read_context()[CONTEXT_KEY]}, args.env)
    except ConfigError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    preflight = Preflight(
        config, client or boto3_clients(), allow_ses_sandbox=args.allow_ses_sandbox
    )
    results = preflight.run()
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.check}: {result.detail}")
    failed = [r for r in results if not r.ok]
    verdict = "ready to deploy" if not failed else f"{len(failed)} check(s) refused the deploy"
    print(f"preflight {args.env} (account {config.account}, {config.region}): {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
