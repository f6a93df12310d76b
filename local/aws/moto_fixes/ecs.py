"""ECS, as moto 5.2.1 gets it wrong (fix 2); tested in __tests__/local/aws/moto-fixes.test.ts."""
from .common import store_request_fields
from moto.ecs import models as ecs_models
from moto.ecs.responses import EC2ContainerServiceResponse


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
