// CloudFront Function (viewer request, cloudfront-js-2.0).
// Origin Access Control replaces the Authorization header with its SigV4 signature and the
// Function URL must not see the public Host, so hand both to the app in headers it reads
// (only when BEHIND_CLOUDFRONT=true): X-Forwarded-Host and X-Forwarded-Authorization.
function handler(event) {
  var request = event.request;
  var headers = request.headers;
  if (headers.host) {
    headers['x-forwarded-host'] = { value: headers.host.value };
  }
  if (headers.authorization) {
    headers['x-forwarded-authorization'] = { value: headers.authorization.value };
  } else if (headers['x-forwarded-authorization']) {
    // Only this function may set it: a viewer-supplied copy is dropped.
    delete headers['x-forwarded-authorization'];
  }
  return request;
}
