# Error bodies, shaped as the real server shapes them.
#
# Handlers raise ApiError; the server turns it into a response. Three families exist on a real
# Airbyte: problem JSON on the public API (problems.yaml, served as application/json), the
# KnownExceptionInfo shape on the Config API, and Micronaut's own error JSON for routes that do not
# exist at all.

ERRORS_URL = "https://reference.airbyte.com/reference/errors"


class ApiError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__("%s %s" % (status, body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def problem(status, title, detail, type_=None, data=None):
    body = {"type": type_ or (ERRORS_URL + "#" + title), "title": title, "status": status,
            "detail": detail}
    if data is not None:
        body["data"] = data
    return ApiError(status, body)


def bad_request(message):
    return problem(400, "bad-request", message, data={"message": message})


def not_found(resource_type, resource_id):
    return problem(404, "resource-not-found",
                   "The requested resource could not be found. Could not find %s with id %s."
                   % (resource_type, resource_id),
                   data={"resourceType": resource_type, "resourceId": str(resource_id)})


def invalid_api_key(detail="The API key in the Authorization header is invalid."):
    return problem(401, "invalid-api-key", detail)


def try_again_later(message):
    return problem(409, "try-again-later", message, data={"message": message})


def state_conflict(message):
    return problem(409, "state-conflict", message, type_=ERRORS_URL + "#409-state-conflict",
                   data={"message": message})


def connection_locked(connection_id, reason):
    data = {"connectionId": connection_id}
    if reason:
        data["statusReason"] = reason
    return problem(409, "Connection is locked", "The connection is locked and cannot be modified.",
                   type_="error:connection/locked", data=data)


def conflict(message):
    return problem(409, "conflict", message, data={"message": message})


def unprocessable(message):
    return problem(422, "unprocessable-entity", message, data={"message": message})


def unexpected(status=500, message="An unexpected problem has occurred."):
    titles = {502: "bad-gateway", 503: "service-unavailable", 504: "gateway-timeout"}
    return problem(status, titles.get(status, "unexpected-problem"), message,
                   type_=ERRORS_URL, data={"message": message})


def rate_limited(retry_after=None):
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ApiError(429, {"message": "You are being rate limited."}, headers)


# --- Config API ----------------------------------------------------------------------------------

def config_error(status, message, exception_class, details=None):
    body = {"message": message, "exceptionClassName": exception_class, "exceptionStack": [],
            "rootCauseExceptionStack": []}
    if details is not None:
        body["details"] = details
    return ApiError(status, body)


def config_not_found(message):
    return config_error(404, message, "io.airbyte.commons.server.errors.IdNotFoundKnownException")


def config_invalid_input(message, prop=None):
    errors = [{"propertyPath": prop or "body", "message": message}]
    return ApiError(422, {"message": message,
                          "exceptionClassName": "io.airbyte.commons.server.errors.InvalidInputException",
                          "exceptionStack": [], "validationErrors": errors})


def config_bad_request(message):
    return config_error(400, message, "io.airbyte.commons.server.errors.BadObjectSchemaKnownException")


# --- Micronaut defaults --------------------------------------------------------------------------

def route_not_found(path):
    return ApiError(404, {"message": "Not Found",
                          "_links": {"self": {"href": path, "templated": False}},
                          "_embedded": {"errors": [{"message": "Page Not Found"}]}})


def method_not_allowed(method, path):
    return ApiError(405, {"message": "Method Not Allowed",
                          "_links": {"self": {"href": path, "templated": False}},
                          "_embedded": {"errors": [{"message": "Method [%s] not allowed for URI [%s]"
                                                               % (method, path)}]}})


def invalid_json(detail):
    return ApiError(400, {"message": "Bad Request",
                          "_embedded": {"errors": [{"message": "Invalid JSON: " + detail}]}})
