"""Application Auto Scaling, as moto 5.2.1 gets it wrong (fixes 1 and 11)."""
import json

from .common import already_gone, kept
from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError


# Fix 1: Application Auto Scaling tagging (ListTagsForResource, TagResource,
# UntagResource) is not implemented: moto answers 500 and the AWS provider,
# which reads a scalable target's tags after every create and refresh, retries
# with back-off for over 15 minutes. Keep tags per resource ARN, as AWS does,
# including those given to RegisterScalableTarget.
def _tags(backend):
    return kept(backend, "_fixed_tags")


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
        already_gone("DeregisterScalableTarget", JsonRESTError("ObjectNotFoundException", f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, scalable dimension: {dimension}"))
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
        already_gone("DeleteScalingPolicy", JsonRESTError("ObjectNotFoundException", f"No scaling policy found for service namespace: {service_namespace}, resource ID: {resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}"))
    _delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
ApplicationAutoScalingResponse.tag_resource = tag_resource
ApplicationAutoScalingResponse.untag_resource = untag_resource
ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
aas_models.ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target
aas_models.ApplicationAutoscalingBackend.delete_scaling_policy = delete_scaling_policy
