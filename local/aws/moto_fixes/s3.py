"""S3 bucket policies with conditions, as moto 5.2.1 evaluates them wrong (fix 8); tested in __tests__/local/aws/moto-fixes.test.ts."""
import json

from moto.s3 import models as s3_models


# Fix 8: S3 bucket policies with conditions. moto evaluates a bucket policy
# without its conditions, so the stack's TLS-only statement (Deny s3:* when
# aws:SecureTransport is false) denies every object request, and Terraform
# cannot read back the build it uploaded. The emulator answers plain HTTP on
# loopback where AWS answers TLS: such a statement never matches there, and
# is left out of the evaluation; every other statement is evaluated as moto does.
def _insecure_transport_only(statement):
    condition = statement.get("Condition") or {}
    value = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and list(condition) == ["Bool"] and value in ("false", ["false"])


def bucket_permission(self, action, resource):
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    document["Statement"] = [statement for statement in statements if not _insecure_transport_only(statement)]
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


s3_models.FakeBucket.get_permission = bucket_permission
