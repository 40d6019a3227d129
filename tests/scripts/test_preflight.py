"""scripts/preflight.py against stubbed AWS answers (botocore's Stubber: real request and
response shapes, no account): each check refuses with the number or the step that is missing."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra.config import CONTEXT_KEY, load_config
from scripts import preflight

REGION = "eu-west-1"
EDGE = "us-east-1"


def _context() -> dict[str, Any]:
    return {CONTEXT_KEY: copy.deepcopy(preflight.read_context()[CONTEXT_KEY])}


def config_of(env: str, **changes: Any) -> Any:
    context = _context()
    context[CONTEXT_KEY][env].update(changes)
    return load_config(context, env)


@dataclass
class Account:
    """What the stubbed account answers; `stub` queues it, call by call, per client."""

    config: Any
    caller_account: str | None = None
    quota: int = 1000
    unreserved: int = 1000
    bootstrap: dict[str, int | None] = field(default_factory=lambda: {REGION: 21, EDGE: 21})
    bootstrap_status: str = "UPDATE_COMPLETE"
    zone_name: str | None = None
    zone_missing: bool = False
    zone_private: bool = False
    records: list[tuple[str, str]] = field(default_factory=list)
    stacks: dict[str, str] = field(default_factory=dict)
    """Stack name -> status of the environment's existing stacks."""
    ses: dict[str, Any] = field(
        default_factory=lambda: {"SendingEnabled": True, "ProductionAccessEnabled": True}
    )


class Clients:
    """Real boto3 clients (fake credentials) with a Stubber each."""

    def __init__(self) -> None:
        self.stubbers: dict[tuple[str, str], Stubber] = {}
        self.clients: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        return self.client(service, region)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.clients:
            self.clients[key] = boto3.client(
                service,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self.stubbers[key] = Stubber(self.clients[key])
            self.stubbers[key].activate()
        return self.clients[key]

    def stub(self, service: str, region: str) -> Stubber:
        self.client(service, region)
        return self.stubbers[(service, region)]

    def all_answered(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def _missing_stack(stubber: Stubber, name: str) -> None:
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {name} does not exist",
        expected_params={"StackName": name},
    )


def _stack(name: str, status: str, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "StackName": name,
        "StackStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
    }


def stub(account: Account, clients: Clients) -> None:
    """Queue the answers in the order Preflight.run asks for them."""
    config = account.config
    clients.stub("sts", config.region).add_response(
        "get_caller_identity",
        {
            "Account": account.caller_account or config.account,
            "Arn": "arn:aws:sts::1:assumed-role/deploy/ci",
            "UserId": "AROA:ci",
        },
        {},
    )
    if account.caller_account and account.caller_account != config.account:
        return
    main = f"Courtside-{config.name}"
    for name, region in preflight.stack_names(config):
        cfn = clients.stub("cloudformation", region)
        if name in account.stacks:
            cfn.add_response(
                "describe_stacks",
                {"Stacks": [_stack(name, account.stacks[name])]},
                {"StackName": name},
            )
        else:
            _missing_stack(cfn, name)
    first_deploy = main not in account.stacks
    clients.stub("lambda", config.region).add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "ConcurrentExecutions": account.quota,
                "UnreservedConcurrentExecutions": account.unreserved,
            }
        },
        {},
    )
    for region in dict.fromkeys((config.region, EDGE)):
        cfn = clients.stub("cloudformation", region)
        version = account.bootstrap.get(region)
        if version is None:
            _missing_stack(cfn, "CDKToolkit")
        else:
            cfn.add_response(
                "describe_stacks",
                {
                    "Stacks": [
                        _stack(
                            "CDKToolkit",
                            account.bootstrap_status,
                            {"BootstrapVersion": str(version)},
                        )
                    ]
                },
                {"StackName": "CDKToolkit"},
            )
    route53 = clients.stub("route53", EDGE)
    if account.zone_missing:
        route53.add_client_error(
            "get_hosted_zone",
            service_error_code="NoSuchHostedZone",
            expected_params={"Id": config.hosted_zone_id},
        )
    else:
        route53.add_response(
            "get_hosted_zone",
            {
                "HostedZone": {
                    "Id": f"/hostedzone/{config.hosted_zone_id}",
                    "Name": (account.zone_name or config.hosted_zone_name) + ".",
                    "CallerReference": "ref",
                    "Config": {"PrivateZone": account.zone_private},
                },
                "DelegationSet": {"NameServers": ["ns-1.awsdns-01.org"]},
            },
            {"Id": config.hosted_zone_id},
        )
        zone_ok = (account.zone_name or config.hosted_zone_name) == config.hosted_zone_name
        if first_deploy and zone_ok and not account.zone_private:
            names = [config.domain_name, *sorted(config.service_aliases.values())]
            for name in names:
                route53.add_response(
                    "list_resource_record_sets",
                    {
                        "ResourceRecordSets": [
                            {"Name": f"{n}.", "Type": t, "TTL": 300}
                            for n, t in account.records
                            if n == name
                        ],
                        "IsTruncated": False,
                        "MaxItems": "10",
                    },
                    {
                        "HostedZoneId": config.hosted_zone_id,
                        "StartRecordName": name,
                        "MaxItems": "10",
                    },
                )
    if config.ses_enabled:
        clients.stub("sesv2", config.region).add_response("get_account", account.ses, {})


@pytest.fixture
def clients() -> Iterator[Clients]:
    found = Clients()
    yield found
    found.all_answered()  # every stubbed answer was asked for: no check was skipped


def run(account: Account, clients: Clients, **options: Any) -> dict[str, preflight.Result]:
    stub(account, clients)
    results = preflight.Preflight(account.config, clients, **options).run()
    return {r.check: r for r in results}


def failures(results: dict[str, preflight.Result]) -> dict[str, str]:
    return {name: r.detail for name, r in results.items() if not r.ok}


# --- the whole run --------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_an_account_with_everything_passes(env, clients):
    results = run(Account(config_of(env)), clients)

    assert failures(results) == {}
    expected = {"account", "lambda concurrency", "hosted zone", "certificate"}
    expected |= {f"cdk bootstrap {r}" for r in (REGION, EDGE)}
    expected |= {f"stack {name}" for name, _ in preflight.stack_names(config_of(env))}
    assert set(results) == expected


def test_the_wrong_account_stops_before_anything_else(clients):
    results = run(Account(config_of("prod"), caller_account="999999999999"), clients)

    assert set(results) == {"account"}
    assert "999999999999" in results["account"].detail
    assert "333333333333" in results["account"].detail


# --- Lambda concurrency (finding 1) ---------------------------------------------------------------


def test_a_quota_too_low_is_refused_with_the_number_needed(clients):
    config = config_of("prod")  # reserves 120 + 60 + 20
    results = run(Account(config, quota=250, unreserved=250), clients)

    detail = failures(results)["lambda concurrency"]
    assert "quota is 250" in detail
    assert "reserves 200 (public 120, web 60, ingest 20)" in detail
    assert "needs at least 300" in detail
    assert "--quota-code L-B99A9384 --desired-value 300 --region eu-west-1" in detail


@pytest.mark.parametrize(("env", "needed"), [("staging", 120), ("prod", 300)])
def test_the_quota_needed_is_the_reserves_plus_lambdas_hundred(env, needed, clients):
    config = config_of(env)
    assert config.concurrency_quota_needed == needed

    just_enough = run(Account(config, quota=needed, unreserved=needed), clients)
    assert "lambda concurrency" not in failures(just_enough)


def test_one_short_of_the_quota_is_refused(clients):
    results = run(Account(config_of("staging"), quota=119, unreserved=119), clients)

    assert "needs at least 120" in failures(results)["lambda concurrency"]


def test_a_first_deploy_counts_what_other_functions_already_reserve(clients):
    config = config_of("prod")
    # 1000 in all, 750 reserved by others: 250 free, 200 of ours would leave 50.
    results = run(Account(config, quota=1000, unreserved=250), clients)

    detail = failures(results)["lambda concurrency"]
    assert "other functions already reserve 750" in detail
    assert "would leave 50 unreserved" in detail
    assert "--desired-value 1050" in detail


def test_a_redeploy_already_holds_its_reserves(clients):
    config = config_of("prod")
    deployed = {name: "UPDATE_COMPLETE" for name, _ in preflight.stack_names(config)}
    # Our functions hold 200 of the 300 already: only 100 unreserved, as Lambda requires.
    results = run(Account(config, quota=300, unreserved=100, stacks=deployed), clients)

    assert failures(results) == {}


def test_dev_reserves_nothing_and_runs_on_a_new_accounts_quota(clients):
    config = config_of("dev")
    assert config.reserved_concurrency_total == 0
    assert config.concurrency_quota_needed == 0

    results = run(Account(config, quota=10, unreserved=10), clients)

    assert failures(results) == {}
    assert "dev reserves none" in results["lambda concurrency"].detail


# --- CDK bootstrap --------------------------------------------------------------------------------


def test_a_missing_bootstrap_names_make_bootstrap(clients):
    account = Account(config_of("staging"), bootstrap={REGION: 21, EDGE: None})
    results = failures(run(account, clients))

    assert set(results) == {f"cdk bootstrap {EDGE}"}
    assert "no CDKToolkit stack" in results[f"cdk bootstrap {EDGE}"]
    assert "make bootstrap ENV=staging" in results[f"cdk bootstrap {EDGE}"]


def test_an_old_or_broken_bootstrap_is_refused(clients):
    account = Account(config_of("prod"), bootstrap={REGION: 5, EDGE: 5})
    results = failures(run(account, clients))

    assert results[f"cdk bootstrap {REGION}"].startswith("bootstrap version 5, the templates need")
    assert "make bootstrap ENV=prod" in results[f"cdk bootstrap {REGION}"]


def test_a_bootstrap_stack_that_failed_is_refused(clients):
    account = Account(config_of("dev"), bootstrap_status="UPDATE_ROLLBACK_FAILED")
    results = failures(run(account, clients))

    assert "CDKToolkit is UPDATE_ROLLBACK_FAILED" in results[f"cdk bootstrap {REGION}"]


# --- hosted zone and certificate ------------------------------------------------------------------


def test_a_hosted_zone_that_does_not_match_is_refused(clients):
    account = Account(config_of("prod"), zone_name="example.org")
    detail = failures(run(account, clients))["hosted zone"]

    assert "Z0PROD00000000000001 is the zone example.org, cdk.json says example.com" in detail


def test_a_missing_hosted_zone_says_how_to_make_one(clients):
    detail = failures(run(Account(config_of("dev"), zone_missing=True), clients))["hosted zone"]

    assert "no hosted zone Z0DEV0000000000000001 in this account" in detail
    assert "create the public zone dev.example.com" in detail


def test_a_private_zone_cannot_validate_the_certificate(clients):
    detail = failures(run(Account(config_of("dev"), zone_private=True), clients))["hosted zone"]

    assert "is private" in detail


def test_an_existing_record_for_the_site_is_refused_before_a_first_deploy(clients):
    account = Account(config_of("prod"), records=[("api.example.com", "A")])
    detail = failures(run(account, clients))["certificate"]

    assert "api.example.com A already in example.com" in detail


def test_the_certificate_is_requested_in_us_east_1(clients):
    results = run(Account(config_of("prod")), clients)

    assert results["certificate"].detail.startswith("requested in us-east-1")


# --- SES ------------------------------------------------------------------------------------------

SES = {"ses_enabled": True, "ses_from_address": "no-reply@example.com"}


def test_ses_in_the_sandbox_is_refused_when_email_is_on(clients):
    account = Account(
        config_of("prod", **SES), ses={"SendingEnabled": True, "ProductionAccessEnabled": False}
    )
    detail = failures(run(account, clients))["ses"]

    assert "SES is in the sandbox in eu-west-1" in detail
    assert "Request production access" in detail


def test_the_sandbox_may_be_accepted_knowingly(clients):
    account = Account(
        config_of("dev", ses_enabled=True, ses_from_address="no-reply@dev.example.com"),
        ses={"SendingEnabled": True, "ProductionAccessEnabled": False},
    )
    results = run(account, clients, allow_ses_sandbox=True)

    assert failures(results) == {}
    assert "sandbox (allowed)" in results["ses"].detail


def test_paused_sending_is_refused(clients):
    account = Account(
        config_of("prod", **SES),
        ses={
            "SendingEnabled": False,
            "ProductionAccessEnabled": True,
            "EnforcementStatus": "SHUTDOWN",
        },
    )
    detail = failures(run(account, clients))["ses"]

    assert "sending is paused" in detail
    assert "SHUTDOWN" in detail


def test_ses_is_not_asked_when_email_is_off(clients):
    results = run(Account(config_of("prod")), clients)

    assert "ses" not in results  # and the fixture checks no SES answer was queued or asked


# --- the environment's stacks (a retried first deploy) --------------------------------------------


def test_a_rolled_back_first_attempt_must_be_deleted_first(clients):
    config = config_of("prod")
    results = failures(
        run(Account(config, stacks={"Courtside-prod": "ROLLBACK_COMPLETE"}), clients)
    )

    detail = results["stack Courtside-prod"]
    assert "ROLLBACK_COMPLETE" in detail
    assert "aws cloudformation delete-stack --stack-name Courtside-prod" in detail
    assert "termination-protection" in detail  # prod's stacks have it


def test_a_no_rollback_failure_can_be_continued(clients):
    config = config_of("staging")
    results = run(Account(config, stacks={"Courtside-staging": "CREATE_FAILED"}), clients)

    assert results["stack Courtside-staging"].ok
    assert "NO_ROLLBACK=1" in results["stack Courtside-staging"].detail


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "ROLLBACK_FAILED", "DELETE_FAILED"])
def test_a_stack_mid_deploy_or_stuck_is_refused(status, clients):
    results = failures(run(Account(config_of("dev"), stacks={"Courtside-dev": status}), clients))

    assert status in results["stack Courtside-dev"]


# --- the command ----------------------------------------------------------------------------------


def test_main_prints_each_check_and_fails_when_one_refuses(clients, capsys):
    stub(Account(config_of("prod"), quota=250, unreserved=250), clients)

    assert preflight.main(["prod"], client=clients) == 1
    out = capsys.readouterr().out
    assert "FAIL lambda concurrency:" in out
    assert "ok   hosted zone:" in out
    assert out.rstrip().endswith("1 check(s) refused the deploy")


def test_main_passes_a_ready_account(clients, capsys):
    stub(Account(config_of("staging")), clients)

    assert preflight.main(["staging"], client=clients) == 0
    assert "ready to deploy" in capsys.readouterr().out


def test_main_refuses_a_bad_config(monkeypatch, capsys):
    context = preflight.read_context()
    broken = json.loads(json.dumps(context))
    broken[CONTEXT_KEY]["dev"]["reserved_concurrency"] = -1
    monkeypatch.setattr(preflight, "read_context", lambda: broken)

    assert preflight.main(["dev"], client=lambda service, region: None) == 2
    assert "dev.reserved_concurrency" in capsys.readouterr().err
