"""What the fixes share: a request's fields kept on a model, a note on the emulator's log, AWS's answer to a delete of something already gone, state kept on a backend."""
import sys

from moto.core.utils import camelcase_to_underscores


def store_request_fields(response, target, params):
    """Sets target.<param in snake_case>, as moto's models name them, for each param the request carries."""
    for param in params:
        value = response._get_param(param)
        if value is not None:
            setattr(target, camelcase_to_underscores(param), value)


def note(message):
    """One line on the emulator's log (one write: other threads log requests to the same stream)."""
    sys.stderr.write(f"moto_launcher: {message}\n")
    sys.stderr.flush()


def already_gone(action, error):
    """A delete of something already gone: noted on the log, answered with AWS's error (fixes 10 and 11)."""
    note(f"{action}: {error.message}: {error.code}")
    raise error


def kept(backend, name):
    """A dict that a fix keeps on a moto backend: it goes with the backend when moto resets it."""
    if not hasattr(backend, name):
        setattr(backend, name, {})
    return getattr(backend, name)
