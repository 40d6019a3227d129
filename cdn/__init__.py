"""CDK construct for the CDN (CloudFront, certificate, DNS) and its edge code."""
