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
from moto.codedeploy import models as codedeploy_models
from moto.core.utils import camelcase_to_underscores
from moto.codedeploy.responses import CodeDeployResponse
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ecs.responses import EC2ContainerServiceResponse

import json
import time


def store_request_fields(response, target, params):
    """Sets target.<param in snake_case>, as moto's models name them, for each param the request carries."""
    for param in params:
        value = response._get_param(param)
        if value is not None:
            setattr(target, camelcase_to_underscores(param), value)


# Fix 1: Application Auto Scaling tagging (ListTagsForResource, TagResource,
# UntagResource) is not implemented: moto answers 500 and the AWS provider,
# which reads a scalable target's tags after every create and refresh, retries
# with back-off for over 15 minutes. Keep tags per resource ARN, as AWS does,
# including those given to RegisterScalableTarget.
def _tags(backend):
    if not hasattr(backend, "_fixed_tags"):
        backend._fixed_tags = {}
    return backend._fixed_tags


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
    _deregister_scalable_target(self, namespace, r_id, dimension)
    if target is not None:
        _tags(self).pop(target.arn, None)


ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
ApplicationAutoScalingResponse.tag_resource = tag_resource
ApplicationAutoScalingResponse.untag_resource = untag_resource
ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
aas_models.ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target


# Fix 2: ECS CreateService drops these request fields, so DescribeServices
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


if __name__ == "__main__":
    from moto.server import main

    host, port = sys.argv[1], sys.argv[2]
    main(["-H", host, "-p", port])
