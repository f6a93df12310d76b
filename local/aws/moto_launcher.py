"""Starts moto_server with narrow, named fixes for the AWS APIs this stack
uses and moto 5.2 gets wrong, so that the stack deployed to the emulator is
the very stack deployed to AWS (nothing left out, no check loosened).

Usage: python3 moto_launcher.py <host> <port>

Every fix makes moto answer the way the AWS API reference says; the
end-to-end test proves each one (an apply that finishes, then an empty plan).
"""
import sys

from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.codedeploy import exceptions as codedeploy_exceptions
from moto.codedeploy import models as codedeploy_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.elbv2 import exceptions as elbv2_exceptions
from moto.elbv2 import models as elbv2_models
from moto.core.utils import camelcase_to_underscores
from moto.codedeploy.responses import CodeDeployResponse
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ecs import models as ecs_models
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.s3 import models as s3_models

import collections
import io
import json
import os
import threading
import time


def store_request_fields(response, target, params):
    """Sets target.<param in snake_case>, as moto's models name them, for each param the request carries."""
    for param in params:
        value = response._get_param(param)
        if value is not None:
            setattr(target, camelcase_to_underscores(param), value)


def _note(message):
    """One line on the emulator's log (one write: other threads log requests to the same stream)."""
    sys.stderr.write(f"moto_launcher: {message}\n")
    sys.stderr.flush()


def _already_gone(action, error):
    """A delete of something already gone: noted on the log, answered with AWS's error (fixes 10 and 11)."""
    _note(f"{action}: {error.message}: {error.code}")
    raise error


def _kept(backend, name):
    """A dict that a fix keeps on a moto backend: it goes with the backend when moto resets it."""
    if not hasattr(backend, name):
        setattr(backend, name, {})
    return getattr(backend, name)


# Fix 1: Application Auto Scaling tagging (ListTagsForResource, TagResource,
# UntagResource) is not implemented: moto answers 500 and the AWS provider,
# which reads a scalable target's tags after every create and refresh, retries
# with back-off for over 15 minutes. Keep tags per resource ARN, as AWS does,
# including those given to RegisterScalableTarget.
def _tags(backend):
    return _kept(backend, "_fixed_tags")


def list_tags_for_resource(self):
    arn = self._get_param("ResourceARN")
    return json.dumps({"Tags": dict(_tags(self.applicationautoscaling_backend).get(arn, {}))})


def tag_resource(self):
    arn = self._get_param("ResourceARN")
    _tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
    return json.dumps({})


def untag_resource(self):
    arn = self._get_param("ResourceARN")
    stored = _tags(self.applicationautoscaling_backend).setdefault(arn, {})
    for key in self._get_param("TagKeys") or []:
        stored.pop(key, None)
    return json.dumps({})


_register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target


def register_scalable_target(self):
    body = _register_scalable_target(self)
    tags = self._get_param("Tags")
    if tags:
        arn = json.loads(body)["ScalableTargetARN"]
        _tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
    return body


_deregister_scalable_target = aas_models.ApplicationAutoscalingBackend.deregister_scalable_target


def deregister_scalable_target(self, namespace, r_id, dimension):
    target = self.targets.get(dimension, {}).get(r_id)
    if target is None:
        _already_gone("DeregisterScalableTarget", JsonRESTError("ObjectNotFoundException", f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, scalable dimension: {dimension}"))
    _deregister_scalable_target(self, namespace, r_id, dimension)
    _tags(self).pop(target.arn, None)


# Fix 11: deleting what is already gone. For a scalable target or a scaling
# policy that does not exist, AWS answers ObjectNotFoundException, which the
# provider's delete takes as "already gone"; moto answers ValidationException,
# which fails the destroy. A destroy on CI failed so on DeleteScalingPolicy, as
# fix 10's did on a security group rule: the emulator answers as AWS does, and
# says so on its log (with fix 12's record of repeated calls next to it).
_delete_scaling_policy = aas_models.ApplicationAutoscalingBackend.delete_scaling_policy


def delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension):
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension, policy_name)
    if key not in self.policies:
        _already_gone("DeleteScalingPolicy", JsonRESTError("ObjectNotFoundException", f"No scaling policy found for service namespace: {service_namespace}, resource ID: {resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}"))
    _delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
ApplicationAutoScalingResponse.tag_resource = tag_resource
ApplicationAutoScalingResponse.untag_resource = untag_resource
ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
aas_models.ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target
aas_models.ApplicationAutoscalingBackend.delete_scaling_policy = delete_scaling_policy


# Fix 2: ECS.
# (a) CreateService drops these request fields, so DescribeServices
# never returns them and every later plan wants to change (or, for the
# capacity provider strategy, replace) the service. Store them as given.
KEPT_SERVICE_FIELDS = [
    "capacityProviderStrategy",
    "enableExecuteCommand",
    "enableECSManagedTags",
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "availabilityZoneRebalancing",
]

_create_service = EC2ContainerServiceResponse.create_service


def create_service(self):
    result = _create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    store_request_fields(self, service, KEPT_SERVICE_FIELDS)
    return result


EC2ContainerServiceResponse.create_service = create_service


# (b) CreateTaskSet records the task set, then starts moto's record-only
#     tasks for its scale and fails on a network configuration it does not
#     parse (a KeyError: a 500), leaving the task set behind; the SDK then
#     retries and creates more. Tasks are the local runtime's business: record
#     the task set and its scale, start nothing.
_create_task_set = ecs_models.EC2ContainerServiceBackend.create_task_set


def create_task_set(self, *args, **kwargs):
    scale = kwargs.pop("scale", None)
    task_set = _create_task_set(self, *args, scale=None, **kwargs)
    if scale:
        task_set.scale = scale
    return task_set


ecs_models.EC2ContainerServiceBackend.create_task_set = create_task_set


# Fix 3: DescribeSecurityGroupRules reports the description of CIDR rules
# only; a rule that references another security group loses its description,
# so every plan wants to set it again. AWS returns it for both kinds.
SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)


# Fix 4: CodeDeploy, for a blue/green ECS service.
# (a) GetApplication and GetDeployment return createTime as an ISO string
#     where the API (the provider, the SDK) expects epoch seconds, so every
#     read of an application or a deployment fails.
def with_epoch_create_time(model):
    original = model.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.create_time = time.time()

    model.__init__ = init


with_epoch_create_time(codedeploy_models.Application)
with_epoch_create_time(codedeploy_models.DeploymentInfo)

# (b) GetDeploymentGroup answers alarmConfiguration as {} whatever was set, so
#     every plan wants to set the alarms again.
_group_to_dict = codedeploy_models.DeploymentGroup.to_dict


def group_to_dict(self):
    result = _group_to_dict(self)
    if self.alarm_configuration:
        result["alarmConfiguration"] = self.alarm_configuration
    return result


codedeploy_models.DeploymentGroup.to_dict = group_to_dict


# (c) UpdateDeploymentGroup, DeleteDeploymentGroup and DeleteApplication are
#     missing: updates fail and destroy retries for many minutes.
GROUP_FIELDS = [
    "deploymentConfigName",
    "serviceRoleArn",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "deploymentStyle",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "ecsServices",
    "triggerConfigurations",
    "outdatedInstancesStrategy",
    "terminationHookEnabled",
]


def update_deployment_group(self):
    application = self._get_param("applicationName")
    current = self._get_param("currentDeploymentGroupName")
    group = self.codedeploy_backend.get_deployment_group(application, current)
    store_request_fields(self, group, GROUP_FIELDS)
    new_name = self._get_param("newDeploymentGroupName")
    if new_name and new_name != current:
        groups = self.codedeploy_backend.deployment_groups[application]
        groups[new_name] = groups.pop(current)
        group.deployment_group_name = new_name
    return json.dumps({"hooksNotCleanedUp": []})


def delete_deployment_group(self):
    application = self._get_param("applicationName")
    name = self._get_param("deploymentGroupName")
    self.codedeploy_backend.deployment_groups.get(application, {}).pop(name, None)
    return json.dumps({"hooksNotCleanedUp": []})


def delete_application(self):
    application = self._get_param("applicationName")
    self.codedeploy_backend.applications.pop(application, None)
    self.codedeploy_backend.deployment_groups.pop(application, None)
    return json.dumps({})


CodeDeployResponse.update_deployment_group = update_deployment_group
CodeDeployResponse.delete_deployment_group = delete_deployment_group
CodeDeployResponse.delete_application = delete_application


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


# Fix 6: CodeDeploy deployments that progress. moto records a deployment and
# leaves it "Created"; the local runtime (local/runtime/codedeploy.ts) carries it out
# the way the CodeDeploy service would, and needs:
# (a) PutLifecycleEventHookExecutionStatus, through which the pre-traffic
#     hook reports Succeeded or Failed (missing in moto);
# (b) StopDeployment (missing), and errorInformation and completeTime in
#     GetDeployment once set (moto answers {} and null);
# (c) the one thing no public API does, because the CodeDeploy service does it
#     internally: moving a deployment's status. The runtime, standing in for
#     that service, sets it (and reads the hooks' reports) through
#     /_local/codedeploy/deployments/<id> on the emulator's own port.
def _deployment(backend, deployment_id):
    deployment = backend.deployments.get(deployment_id)
    if deployment is None:
        raise codedeploy_exceptions.DeploymentDoesNotExistException(f"The deployment {deployment_id} could not be found.")
    if not hasattr(deployment, "hook_statuses"):
        deployment.hook_statuses = {}
        deployment.error_information = {}
    return deployment


def put_lifecycle_event_hook_execution_status(self):
    deployment = _deployment(self.codedeploy_backend, self._get_param("deploymentId"))
    execution_id = self._get_param("lifecycleEventHookExecutionId")
    deployment.hook_statuses[execution_id] = self._get_param("status")
    return json.dumps({"lifecycleEventHookExecutionId": execution_id})


def stop_deployment(self):
    deployment = _deployment(self.codedeploy_backend, self._get_param("deploymentId"))
    if deployment.status in ("Succeeded", "Failed", "Stopped"):
        return json.dumps({"status": "Succeeded", "statusMessage": f"The deployment had ended: {deployment.status}"})
    deployment.status = "Stopped"
    deployment.error_information = {"code": "DEPLOYMENT_STOPPED", "message": "The deployment was stopped by a StopDeployment request."}
    deployment.complete_time = time.time()
    return json.dumps({"status": "Pending", "statusMessage": "Stopping the deployment"})


_deployment_to_dict = codedeploy_models.DeploymentInfo.to_dict


def deployment_to_dict(self):
    result = _deployment_to_dict(self)
    if getattr(self, "error_information", None):
        result["errorInformation"] = self.error_information
    return result


CodeDeployResponse.put_lifecycle_event_hook_execution_status = put_lifecycle_event_hook_execution_status
CodeDeployResponse.stop_deployment = stop_deployment
codedeploy_models.DeploymentInfo.to_dict = deployment_to_dict

LOCAL_DEPLOYMENTS = "/_local/codedeploy/deployments/"
FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")


class LocalControlPlane:
    """GET /_local/codedeploy/deployments/<id>?region=<r>: the deployment's status and its hooks'
    reports; POST the same path with {"status", "errorCode"?, "errorMessage"?}: moves its status."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(LOCAL_DEPLOYMENTS):
            return self.app(environ, start_response)
        from urllib.parse import parse_qs

        region = parse_qs(environ.get("QUERY_STRING", "")).get("region", ["us-east-1"])[0]
        backend = codedeploy_models.codedeploy_backends[DEFAULT_ACCOUNT_ID][region]
        try:
            deployment = _deployment(backend, path[len(LOCAL_DEPLOYMENTS):])
        except codedeploy_exceptions.DeploymentDoesNotExistException as error:
            return self._answer(start_response, "404 Not Found", {"message": str(error)})
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            deployment.status = body["status"]
            if body["status"] == "InProgress" and deployment.start_time is None:
                deployment.start_time = time.time()
            if body["status"] in FINAL_STATUSES:
                deployment.complete_time = time.time()
            if body.get("errorMessage"):
                deployment.error_information = {"code": body.get("errorCode", "INTERNAL_ERROR"), "message": body["errorMessage"]}
        return self._answer(start_response, "200 OK", {"status": deployment.status, "hooks": deployment.hook_statuses})

    @staticmethod
    def _answer(start_response, status, body):
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


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


# Fix 9: EC2 Auto Scaling and launch templates, read back as AWS returns them.
# (a) CreateLaunchTemplate's TagSpecifications tag the template itself; moto
#     also copies them into the template's data, so the provider reads back a
#     `launch-template` tag specification it never set, and plans to remove it
#     (a new version) after every apply.
# (b) DescribeAutoScalingGroups leaves out CapacityReservationSpecification,
#     which AWS always returns (preference "default"); the provider then plans
#     to set it after every apply.
from moto.autoscaling import models as autoscaling_models
from moto.ec2.responses.launch_templates import LaunchTemplates

_create_launch_template = LaunchTemplates.create_launch_template


def create_launch_template(self):
    result = _create_launch_template(self)
    template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
    for version in template.versions:
        specs = version.data.get("TagSpecifications")
        if specs:
            version.data["TagSpecifications"] = [spec for spec in specs if spec.get("ResourceType") != "launch-template"]
    return result


LaunchTemplates.create_launch_template = create_launch_template

_autoscaling_group_init = autoscaling_models.FakeAutoScalingGroup.__init__


def autoscaling_group_init(self, *args, **kwargs):
    _autoscaling_group_init(self, *args, **kwargs)
    if not getattr(self, "capacity_reservation_specification", None):
        self.capacity_reservation_specification = {"CapacityReservationPreference": "default"}


autoscaling_models.FakeAutoScalingGroup.__init__ = autoscaling_group_init

# (c) StartInstanceRefresh and DescribeInstanceRefreshes are missing, so the
#     provider retries for minutes after a launch template change. A refresh
#     here completes at once: the local runtime replaces each instance's
#     process when its launch template's build changes.
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow


def _refreshes(backend):
    return _kept(backend, "_instance_refreshes")


def start_instance_refresh(self):
    import uuid

    name = self._get_param("AutoScalingGroupName")
    if name not in self.autoscaling_backend.autoscaling_groups:
        raise autoscaling_models.AutoscalingClientError("ValidationError", f"AutoScalingGroup name not found - {name}")
    refresh_id = str(uuid.uuid4())
    now = utcnow()
    _refreshes(self.autoscaling_backend).setdefault(name, []).insert(
        0, {"InstanceRefreshId": refresh_id, "AutoScalingGroupName": name, "Status": "Successful", "PercentageComplete": 100, "InstancesToUpdate": 0, "StartTime": now, "EndTime": now}
    )
    return ActionResult({"InstanceRefreshId": refresh_id})


def describe_instance_refreshes(self):
    found = _refreshes(self.autoscaling_backend).get(self._get_param("AutoScalingGroupName"), [])
    wanted = self._get_param("InstanceRefreshIds", [])
    return ActionResult({"InstanceRefreshes": [refresh for refresh in found if not wanted or refresh["InstanceRefreshId"] in wanted]})


AutoScalingResponse.start_instance_refresh = start_instance_refresh
AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes


# Fix 10: revoking a security group rule by an id the group does not have.
# AWS answers InvalidSecurityGroupRuleId.NotFound, which the provider's delete
# takes as "already gone"; moto answers InvalidPermission.NotFound, which fails
# the destroy. A destroy on CI failed so: the provider had repeated the call
# after losing the first answer (fix 12). The emulator answers as AWS does.
from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models.security_groups import SecurityGroupBackend


def _revoke_by_known_ids(revoke, direction):
    def revoke_rules(self, group_name_or_id, *args, **kwargs):
        rule_ids = kwargs.get("security_rule_ids")
        group = self.get_security_group_by_name_or_id(group_name_or_id, kwargs.get("vpc_id"))
        if rule_ids and group is not None:
            known = {rule.id for rule in getattr(group, f"{direction}_rules")}
            for rule_id in rule_ids:
                if rule_id not in known:
                    _already_gone(f"RevokeSecurityGroup{direction.capitalize()} in {group.id}", InvalidSecurityGroupRuleIdNotFoundError(rule_id))
        return revoke(self, group_name_or_id, *args, **kwargs)

    return revoke_rules


SecurityGroupBackend.revoke_security_group_egress = _revoke_by_known_ids(SecurityGroupBackend.revoke_security_group_egress, "egress")
SecurityGroupBackend.revoke_security_group_ingress = _revoke_by_known_ids(SecurityGroupBackend.revoke_security_group_ingress, "ingress")


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
            _note(f"repeated call: {_action(environ)} attempt {attempt} of {invocation}; the earlier attempt {_outcome(earlier)}: {then}")
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


if __name__ == "__main__":
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    # As moto.server.main serves, with the local control plane in front.
    run_simple(host, port, RepeatedCalls(OneAtATime(LocalControlPlane(DomainDispatcherApplication(create_backend_app)))), threaded=True)
