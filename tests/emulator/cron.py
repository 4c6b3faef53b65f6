# Quartz cron validation as the public API applies it on PATCH /connections (cron-utils QUARTZ
# definition, then the "one hour minimum" check on the seconds/minutes fields).
#
# check(expression) returns None when the server would accept it, else the exact 400 message.

import re

FIELDS = [  # name, min, max, names
    ("seconds", 0, 59, None),
    ("minutes", 0, 59, None),
    ("hours", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                      "DEC"]),
    ("day of week", 1, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ("year", 1970, 2099, None),
]
DOM, DOW = 3, 5
QUARTZ_DOC = "https://www.quartz-scheduler.org/documentation/quartz-2.3.0/tutorials/crontrigger.html"


class CronError(ValueError):
    pass


def normalize(expression):
    """What the server stores: a trailing "UTC" (as GET returns it) removed."""
    if expression.endswith("UTC"):
        return expression.replace("UTC", "").strip()
    return expression


def _value(text, field):
    name, lo, hi, names = FIELDS[field]
    up = text.upper()
    if names and up in names:
        return names.index(up) + 1
    if not text.isdigit():
        raise CronError("Invalid value '%s' for %s" % (text, name))
    n = int(text)
    if not lo <= n <= hi:
        raise CronError("Value %d not in range [%d, %d]" % (n, lo, hi))
    return n


def _check_item(item, field):
    if item == "*":
        return
    if item == "?":
        if field not in (DOM, DOW):
            raise CronError("Invalid char(s) in expression: ? is only allowed for day of month or "
                            "day of week")
        return
    if field == DOM:
        if item in ("L", "LW"):
            return
        m = re.fullmatch(r"L-(\d+)", item)
        if m:
            _value(m.group(1), DOM)
            return
        m = re.fullmatch(r"(\d+)W", item)
        if m:
            _value(m.group(1), DOM)
            return
    if field == DOW:
        if item == "L":
            return
        m = re.fullmatch(r"(\w+)#(\d)", item)
        if m:
            _value(m.group(1), DOW)
            if not 1 <= int(m.group(2)) <= 5:
                raise CronError("Value %s not in range [1, 5]" % m.group(2))
            return
        m = re.fullmatch(r"(\w+)L", item)
        if m:
            _value(m.group(1), DOW)
            return
    base, step = item, None
    if "/" in item:
        base, step = item.split("/", 1)
        if not step.isdigit() or int(step) == 0:
            raise CronError("Invalid increment '%s'" % step)
        if base == "*":
            return
    if "-" in base:
        a, b = base.split("-", 1)
        _value(a, field)
        _value(b, field)
        return
    _value(base, field)


def parse(expression):
    """Raise CronError with cron-utils' style of message when `expression` is not Quartz."""
    if not expression or not expression.strip():
        raise CronError("Empty expression!")
    parts = expression.split()
    if len(parts) not in (6, 7):
        raise CronError("Cron expression contains %d parts but we expect one of [6, 7]" % len(parts))
    for i, part in enumerate(parts):
        if re.search(r"[^0-9A-Za-z*?/,#\-]", part):
            raise CronError("Invalid chars in expression! Expression: %s Invalid chars: %s"
                            % (part, "".join(sorted(set(re.findall(r"[^0-9A-Za-z*?/,#\-]", part))))))
        for item in part.split(","):
            if not item:
                raise CronError("Missing value in %s" % FIELDS[i][0])
            _check_item(item, i)
    dom_q, dow_q = parts[DOM] == "?", parts[DOW] == "?"
    if dom_q == dow_q:
        raise CronError("Both, a day-of-week AND a day-of-month parameter, are not supported.")
    return parts


def check(expression):
    """None if the public API accepts `expression` (after normalization), else its message."""
    if expression is None:
        return "Missing cron expression in the schedule."
    normalized = normalize(expression)
    try:
        parts = parse(normalized)
    except CronError as e:
        return ("The cron expression %s is not valid. Error: %s. Please check the cron expression "
                "format at %s" % (expression, e, QUARTZ_DOC))
    if not parts[0].isdigit() or (len(parts) == 7 and not parts[1].isdigit()):
        return ("The cron expression %s is not valid or is less than the one hour minimum. "
                "The seconds and minutes values cannot be `*`." % expression)
    return None
