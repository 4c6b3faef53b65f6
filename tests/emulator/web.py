# The small HTTP toolkit the route handlers use: a request with parsed query and body, a response
# that knows how to encode itself, and a router of templated paths ("/connections/{connectionId}").

import json
import re
import urllib.parse

from problems import ApiError, bad_request, invalid_json, method_not_allowed, route_not_found


class Response:
    def __init__(self, status=200, body=None, raw=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body          # a JSON-able value, or None
        self.raw = raw            # pre-encoded text/bytes (takes precedence over body)
        self.headers = dict(headers or {})
        self.content_type = content_type

    def payload(self):
        if self.raw is not None:
            return self.raw.encode("utf-8") if isinstance(self.raw, str) else self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")

    def json_value(self):
        """The body as a Python value (for fault mangling); None when not JSON."""
        if self.raw is not None:
            try:
                return json.loads(self.raw)
            except ValueError:
                return None
        return self.body


def error_response(err):
    return Response(err.status, err.body, headers=err.headers)


class Request:
    def __init__(self, method, target, body_text, headers):
        self.method = method
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query_string = parts.query
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        self.body = body_text
        self.headers = headers
        self.params = {}

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def arg_list(self, name):
        """Array query parameter: repeated (a=1&a=2) or comma-joined (a=1,2) or both."""
        out = []
        for v in self.query.get(name, []):
            out.extend(x.strip() for x in v.split(",") if x.strip())
        return out

    def json(self, error=None):
        """The body parsed as JSON; `error(message)` builds the ApiError for bad bodies."""
        make = error or (lambda m: invalid_json(m))
        if self.body is None or not self.body.strip():
            raise make("Required request body is missing")
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise make(str(e))

    def form_or_json(self):
        ctype = (self.headers.get("Content-Type") or "").lower()
        if "x-www-form-urlencoded" in ctype:
            return {k: v[-1] for k, v in urllib.parse.parse_qs(self.body or "").items()}
        return self.json(lambda m: bad_request("Invalid request body: " + m))


class Route:
    def __init__(self, method, template, handler, auth=True):
        self.method = method
        self.template = template
        self.handler = handler
        self.auth = auth
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.regex = re.compile("^" + pattern + "$")


class Router:
    def __init__(self):
        self.routes = []

    def add(self, method, template, handler, auth=True):
        self.routes.append(Route(method, template, handler, auth))

    def find(self, method, path):
        """(route, params); raises ApiError 404/405 when nothing matches."""
        path_matched = False
        for route in self.routes:
            m = route.regex.match(path)
            if not m:
                continue
            path_matched = True
            if route.method == method:
                return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        if path_matched:
            raise method_not_allowed(method, path)
        raise route_not_found(path)

    def template_for(self, method, path):
        try:
            return self.find(method, path)[0].template
        except ApiError:
            return path


def parse_int(value, name, default, lo=None, hi=None):
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise bad_request("Failed to convert argument [%s] for value [%s]" % (name, value))
    if lo is not None and n < lo:
        raise bad_request("%s: must be greater than or equal to %d" % (name, lo))
    if hi is not None and n > hi:
        raise bad_request("%s: must be less than or equal to %d" % (name, hi))
    return n


def parse_bool(value, name, default=False):
    if value is None or value == "":
        return default
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    raise bad_request("Failed to convert argument [%s] for value [%s]" % (name, value))
