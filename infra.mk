# Infrastructure targets, included by the Makefile. Pick the environment with ENV=dev|staging|prod.
# The CDK CLI is pinned in package.json / package-lock.json and installed into ./node_modules.

ENV ?= dev
CDK := node_modules/.bin/cdk
# HOTFIX=1: this deploy's releases ignore the alarm gate (docs/deploy.md, "Hotfix").
# NO_ROLLBACK=1: a failed deploy keeps what it created, to fix and continue (the first deploy).
HOTFIX ?=
NO_ROLLBACK ?=
truthy = $(filter 1 true yes,$(1))
CDK_FLAGS = -c env=$(ENV) $(if $(call truthy,$(HOTFIX)),-c hotfix=true) --no-notices
# Ask before deploying IAM or security-group widening; CI passes APPROVAL=never.
APPROVAL ?= broadening
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: synth diff deploy bootstrap preflight check-env node_modules

node_modules: $(CDK) ## Install the pinned AWS CDK CLI and the tests' OpenID provider (npm ci)

# The CLI itself is the target, not the directory: an empty or half-removed node_modules/ is
# reinstalled instead of passing for up to date.
$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The infra tests also run `cdk synth` through the pinned CLI; the SSO tests (the browser's
# too, so `make screenshots`) start the OpenID provider from node_modules.
test: node_modules
screenshots: node_modules

check-env:
	@case "$(ENV)" in dev|staging|prod) ;; \
	  *) echo "ENV must be dev, staging or prod (got '$(ENV)')" >&2; exit 2;; esac

synth: check-env $(VENV)/.dev-installed node_modules ## Synthesize ENV's stacks offline into cdk.out (fails on cdk-nag or cfn-lint findings)
	rm -rf cdk.out
	$(CDK) synth $(CDK_FLAGS) --quiet
	$(VENV)/bin/cfn-lint --config-file .cfnlintrc.yaml -- cdk.out/*.template.json
	@echo "cdk.out: $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

diff: check-env $(VENV)/.dev-installed node_modules ## Show what deploying ENV would change (needs AWS credentials)
	$(CDK) diff $(CDK_FLAGS) --all

bootstrap: check-env $(VENV)/.dev-installed node_modules ## Bootstrap ENV's account in its region and us-east-1 (once per account)
	$(CDK) bootstrap $(CDK_FLAGS)

preflight: check-env $(VENV)/.dev-installed ## Check ENV's AWS account can take a deploy (quota, zone, bootstrap, SES) before anything is created
	$(VENV)/bin/python scripts/preflight.py $(ENV) $(PREFLIGHT_FLAGS)

deploy: check-env $(VENV)/.dev-installed node_modules ## Deploy ENV (HOTFIX=1: alarms ignored; NO_ROLLBACK=1: keep a failure to continue)
	$(CDK) deploy $(CDK_FLAGS) --all --require-approval $(APPROVAL) \
	  $(if $(call truthy,$(NO_ROLLBACK)),--no-rollback) --outputs-file cdk.out/outputs-$(ENV).json
