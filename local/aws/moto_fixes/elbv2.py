"""Elastic Load Balancing: targets, as moto 5.2.1 keys them wrong (fix 5), and what ELB refuses that moto lets through (fix 13); tested in __tests__/local/aws/moto-fixes.test.ts."""
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


# Fix 13: what ELB refuses and moto 5.2.1 lets through, answered with ELB's
# own errors, so that a fault of the stack fails here as it would on AWS:
# (a) a target group serves one load balancer: forwarding to it from a
#     listener or rule of another is TargetGroupAssociationLimit (moto records
#     the association on create and never checks it);
# (b) each weight of a forward action is 0-999 (ValidationError; moto takes any);
# (c) an HTTPS listener's certificate must exist in ACM or IAM
#     (CertificateNotFound; moto checks it on ModifyListener only).
def _forwards(actions):
    """(target group ARN, weight or None) of each forward in request-shaped actions."""
    for action in actions or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            yield action["TargetGroupArn"], None
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            yield group.get("TargetGroupArn"), group.get("Weight")


def _balancers_forwarding_to(backend, target_group_arn):
    found = set()
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            actions = list(listener.default_actions) + [action for rule in listener.rules.values() for action in rule.actions]
            if any(target_group_arn in backend._get_target_group_arns_from(action_data=action.data) for action in actions):
                found.add(balancer.arn)
    return found


def _check_forwards(backend, load_balancer_arn, actions):
    for arn, weight in _forwards(actions):
        if weight is not None and not 0 <= int(weight) <= 999:
            raise elbv2_exceptions.ELBClientError("ValidationError", "The weight for each target group must be between 0 and 999, inclusive")
        if backend._balancers_forwarding_to(arn) - {load_balancer_arn}:
            raise elbv2_exceptions.ELBClientError(
                "TargetGroupAssociationLimit", f"The following target groups cannot be associated with more than one load balancer: {arn}"
            )


def _listener_of_rule(backend, rule_arn):
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            if rule_arn in listener.rules:
                return listener
    return None


_create_listener = elbv2_models.ELBv2Backend.create_listener
_create_rule = elbv2_models.ELBv2Backend.create_rule
_modify_rule = elbv2_models.ELBv2Backend.modify_rule
_modify_listener = elbv2_models.ELBv2Backend.modify_listener


def create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, *args, **kwargs):
    _check_forwards(self, load_balancer_arn, actions)
    if protocol == "HTTPS" and certificate and not self._certificate_exists(certificate_arn=certificate):
        raise elbv2_exceptions.ELBClientError("CertificateNotFound", f"Certificate '{certificate}' not found")
    return _create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, *args, **kwargs)


def create_rule(self, listener_arn, conditions, priority, actions, *args, **kwargs):
    listeners = self.describe_listeners(None, [listener_arn])
    if listeners:
        _check_forwards(self, listeners[0].load_balancer_arn, actions)
    return _create_rule(self, listener_arn, conditions, priority, actions, *args, **kwargs)


def modify_rule(self, rule_arn, conditions, actions):
    listener = _listener_of_rule(self, rule_arn)
    if listener is not None:
        _check_forwards(self, listener.load_balancer_arn, actions)
    return _modify_rule(self, rule_arn, conditions, actions)


def modify_listener(self, arn, *args, **kwargs):
    listeners = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])
    actions = kwargs.get("actions", args[4] if len(args) > 4 else None)
    if listeners:
        _check_forwards(self, listeners[0].load_balancer_arn, actions)
    return _modify_listener(self, arn, *args, **kwargs)


elbv2_models.ELBv2Backend._balancers_forwarding_to = _balancers_forwarding_to
elbv2_models.ELBv2Backend.create_listener = create_listener
elbv2_models.ELBv2Backend.create_rule = create_rule
elbv2_models.ELBv2Backend.modify_rule = modify_rule
elbv2_models.ELBv2Backend.modify_listener = modify_listener
