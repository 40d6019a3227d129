"""The CodeDeploy pre-traffic hook's code (a zip function, stdlib + boto3): `handler`."""
