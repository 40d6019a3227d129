// CloudFront Function (viewer request, cloudfront-js-2.0).
// Origin Access Control replaces the Authorization header with its SigV4 signature and the
// Function URL must not see the public Host, so hand both to the app in headers it reads
// (only when BEHIND_CLOUDFRONT=true): X-Forwarded-Host and X-Forwarded-Authorization.
// A service's own host name (public.<env>.<domain>, ...) serves that service's paths only:
// SERVICE_HOSTS (host -> {prefixes, paths}) is filled in at synthesis (cdn/infrastructure.py).
var SERVICE_HOSTS = {};

function serves(paths, uri) {
  if (paths.paths.indexOf(uri) !== -1) {
    return true;
  }
  for (var i = 0; i < paths.prefixes.length; i++) {
    if (uri.indexOf(paths.prefixes[i]) === 0) {
      return true;
    }
  }
  return false;
}

function handler(event) {
  var request = event.request;
  var headers = request.headers;
  var only = headers.host ? SERVICE_HOSTS[headers.host.value.toLowerCase()] : undefined;
  if (only && !serves(only, request.uri)) {
    return {
      statusCode: 404,
      statusDescription: 'Not Found',
      headers: { 'content-type': { value: 'application/json' } },
      body: {
        encoding: 'text',
        data: '{"error": {"code": "not_found", "message": "Not Found on this host", "details": null}}'
      }
    };
  }
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
