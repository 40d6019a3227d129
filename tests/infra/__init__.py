"""Infrastructure tests (CDK assertions, cdk-nag, cfn-lint, edge code)."""
