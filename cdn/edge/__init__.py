"""Code that runs at CloudFront edge locations (Lambda@Edge and CloudFront Functions)."""
