"""The emulator's server: one request at a time (fix 7), and a call the SDK repeats answered from the record (fix 12)."""
import collections
import io
import threading
import time

from .common import note


# Fix 7: one request at a time. moto's backends are plain dicts and lists
# without locks, and the server is threaded; Terraform applies ten changes at
# once, and the local runtime's tasks read and write at the same time. Two
# AuthorizeSecurityGroupEgress calls on the load balancer's group, for two
# services extracted in one apply, then failed with InvalidPermission.Duplicate
# (a rule that did not exist before the apply). AWS applies each call
# atomically; so does this. No request here waits on anything outside moto.
class OneAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # The body is produced inside the lock too: a WSGI answer may be lazy.
            return list(self.app(environ, start_response))


# Fix 12: a call the SDK repeats after the emulator answered it is answered
# again from the record, not done twice. The AWS SDK for Go, which Terraform's
# provider uses, sometimes closes a connection just as a 200 answer arrives
# ("use of closed network connection", aws/aws-sdk-go-v2#2737) and, since
# v1.36, sends the call again: same amz-sdk-invocation-id, the next attempt
# number. Seen here on loopback under load: the client resets the connection
# right after the whole answer arrived (about one call in a few thousand).
# AWS then does the work again, and its "not found" answers to a repeated
# delete are what the provider takes as done (fixes 10 and 11 give those
# answers); a repeated create could still fail there. On loopback the lost
# answer is an artefact of the client's transport, so the emulator answers as
# if the first answer had arrived: the repeat of a call answered with 2xx gets
# that answer (waiting for it if the first attempt is still queued behind fix
# 7's lock). Every repeat is logged with what became of the earlier attempt.
class RepeatedCalls:
    KEPT = 2000
    LARGEST_KEPT_ANSWER = 1 << 20
    LONGEST_WAIT_FOR_EARLIER = 120

    def __init__(self, app):
        self.app = app
        self.attempts = collections.OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if invocation is None:
            return self.app(environ, start_response)
        attempt = _attempt(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        with self.lock:
            earlier = self.attempts.get(invocation)
        if attempt > 1 and earlier is not None:
            earlier.done.wait(self.LONGEST_WAIT_FOR_EARLIER)
        repeat = attempt > 1 and earlier is not None and earlier.replayable()
        if attempt > 1:
            then = "answered again from the record" if repeat else "done again"
            note(f"repeated call: {_action(environ)} attempt {attempt} of {invocation}; the earlier attempt {_outcome(earlier)}: {then}")
        if repeat:
            start_response(earlier.status, earlier.headers)
            return [earlier.body]
        record = _Attempt()
        with self.lock:
            self.attempts[invocation] = record
            self.attempts.move_to_end(invocation)
            while len(self.attempts) > self.KEPT:
                self.attempts.popitem(last=False)

        def recording_start_response(status, headers, *rest):
            record.status, record.headers = status, list(headers)
            return start_response(status, headers, *rest)

        try:
            body = b"".join(self.app(environ, recording_start_response))
            if len(body) <= self.LARGEST_KEPT_ANSWER:
                record.body = body
            return self._written([body], record)
        finally:
            record.answered = time.monotonic()
            record.done.set()

    @staticmethod
    def _written(body, record):
        # The server asks for the next chunk only once it has written the last one.
        yield from body
        record.written = True


class _Attempt:
    def __init__(self):
        self.received = time.monotonic()
        self.answered = None
        self.done = threading.Event()
        self.status = None
        self.headers = []
        self.body = None
        self.written = False

    def replayable(self):
        return self.status is not None and self.status.startswith("2") and self.body is not None


def _attempt(header):
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return 1


def _action(environ):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    from urllib.parse import parse_qs

    return parse_qs(body.decode("utf-8", "replace")).get("Action", [f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"])[0]


def _outcome(record):
    if record is None:
        return "never reached the emulator (or was forgotten)"
    if record.answered is None:
        return f"is still being answered ({time.monotonic() - record.received:.1f} s)"
    status = record.status.split(" ", 1)[0] if record.status else "(no status)"
    written = "written in full" if record.written else "NOT written in full (the connection failed)"
    return f"was answered {status} after {record.answered - record.received:.1f} s, {written}"
