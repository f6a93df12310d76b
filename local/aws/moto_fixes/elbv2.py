"""Elastic Load Balancing targets, as moto 5.2.1 keys them wrong (fix 5); tested in __tests__/local/aws/moto-fixes.test.ts."""
from moto.elbv2 import exceptions as elbv2_exceptions
from moto.elbv2 import models as elbv2_models


# Fix 5: ELB targets are one per (Id, Port), as on AWS: the same IP address may
# be registered on several ports (the local runtime's tasks all run on
# 127.0.0.1, each on its own port). moto keys them by Id alone, so a second
# task replaced the first in describe-target-health.
def _target_key(group, target):
    return f"{target['Id']}:{target.get('Port') or group.port}"


def register_targets(self, targets):
    for target in targets:
        instance = self.ec2_backend.get_instance_by_id(target["Id"])
        if instance is not None and instance.state != "running":
            raise elbv2_exceptions.TargetNotRunning(instance_id=target["Id"])
        key = _target_key(self, target)
        self.targets[key] = {"Id": target["Id"], "Port": target.get("Port", self.port)}
        self.deregistered_targets.pop(key, None)


def deregister_targets(self, targets):
    for target in targets:
        key = _target_key(self, target)
        registered = self.targets.pop(key, None)
        if not registered:
            raise elbv2_exceptions.InvalidTargetError()
        self.deregistered_targets[key] = registered


def deregister_terminated_instances(self, instance_ids):
    for key, registered in list(self.targets.items()):
        if registered["Id"] in instance_ids:
            self.terminated_targets[key] = self.targets.pop(key)


_health_for = elbv2_models.FakeTargetGroup.health_for


def health_for(self, target, ec2_backend):
    registered = self.targets.get(_target_key(self, target))
    if registered is None:
        return _health_for(self, target, ec2_backend)
    instance = ec2_backend.get_instance_by_id(registered["Id"]) if registered["Id"].startswith("i-") else None
    if instance is not None and instance.state == "stopped":
        return elbv2_models.FakeHealthStatus(registered["Id"], registered["Port"], self.health_check_port, "unused", "Target.InvalidState", "Target is in the stopped state")
    return elbv2_models.FakeHealthStatus(registered["Id"], registered["Port"], self.health_check_port, "healthy")


elbv2_models.FakeTargetGroup.register = register_targets
elbv2_models.FakeTargetGroup.deregister = deregister_targets
elbv2_models.FakeTargetGroup.deregister_terminated_instances = deregister_terminated_instances
elbv2_models.FakeTargetGroup.health_for = health_for
