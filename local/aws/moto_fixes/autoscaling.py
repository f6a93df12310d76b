"""EC2 Auto Scaling and launch templates, read back as AWS returns them (fix 9); tested in __tests__/local/aws/moto-fixes.test.ts."""
from .common import kept
from moto.autoscaling import models as autoscaling_models
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.responses.launch_templates import LaunchTemplates


# Fix 9: EC2 Auto Scaling and launch templates, read back as AWS returns them.
# (a) CreateLaunchTemplate's TagSpecifications tag the template itself; moto
#     also copies them into the template's data, so the provider reads back a
#     `launch-template` tag specification it never set, and plans to remove it
#     (a new version) after every apply.
# (b) DescribeAutoScalingGroups leaves out CapacityReservationSpecification,
#     which AWS always returns (preference "default"); the provider then plans
#     to set it after every apply.

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


def _refreshes(backend):
    return kept(backend, "_instance_refreshes")


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
