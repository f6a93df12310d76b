"""Starts moto_server with narrow, named fixes for the AWS APIs this stack
uses and moto 5.2.1 gets wrong, so that the stack deployed to the emulator is
the very stack deployed to AWS (nothing left out, no check loosened).

Usage: python3 moto_launcher.py <host> <port>

The fixes live in moto_fixes/, one module per AWS service (and the server's
own, fixes 7 and 12); each makes moto answer the way the AWS API reference
says. The end-to-end test proves them together (an apply that finishes, then
an empty plan); __tests__/local/aws pins those a test can pin alone.
"""
import os
import sys

from moto_fixes import application_autoscaling, autoscaling, codedeploy, ec2, ecs, elbv2, s3  # noqa: F401 (each patches moto as it is imported)
from moto_fixes.codedeploy import LocalControlPlane
from moto_fixes.server import OneAtATime, RepeatedCalls

if __name__ == "__main__":
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    # As moto.server.main serves, with the local control plane in front.
    run_simple(host, port, RepeatedCalls(OneAtATime(LocalControlPlane(DomainDispatcherApplication(create_backend_app)))), threaded=True)
