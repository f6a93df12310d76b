"""ECS, as moto 5.2.1 gets it wrong (fixes 2 and 15) and what ECS refuses that moto lets through (fix 14); tested in __tests__/local/aws/moto-fixes.test.ts."""
from .common import store_request_fields
from moto.ecs.exceptions import InvalidParameterException
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


# Fix 14: a service or task set behind a load balancer names a container of
# its task definition and a port that container maps, or ECS refuses it
# (InvalidParameterException, in ECS's words); moto 5.2.1 takes any name and
# port, so a service wired to the wrong container or port deployed here and
# would fail in an account.
def _check_load_balancers(backend, task_definition, load_balancers):
    if not task_definition or not load_balancers:
        return
    definition = backend.describe_task_definition(task_definition)
    containers = {container["name"]: container for container in definition.container_definitions}
    for entry in load_balancers:
        name, port = entry.get("containerName"), entry.get("containerPort")
        container = containers.get(name)
        if container is None:
            raise InvalidParameterException(f"The container {name} does not exist in the task definition.")
        if port is not None and int(port) not in [int(mapping.get("containerPort", -1)) for mapping in container.get("portMappings") or []]:
            raise InvalidParameterException(f"The container {name} did not have a container port {port} defined.")


_backend_create_service = ecs_models.EC2ContainerServiceBackend.create_service


def backend_create_service(self, cluster_str, service_name, desired_count, task_definition_str=None, load_balancers=None, *args, **kwargs):
    _check_load_balancers(self, task_definition_str, load_balancers)
    return _backend_create_service(self, cluster_str, service_name, desired_count, task_definition_str, load_balancers, *args, **kwargs)


_checked_create_task_set = ecs_models.EC2ContainerServiceBackend.create_task_set


def checked_create_task_set(self, service, cluster_str, task_definition, *args, **kwargs):
    _check_load_balancers(self, task_definition, kwargs.get("load_balancers"))
    return _checked_create_task_set(self, service, cluster_str, task_definition, *args, **kwargs)


ecs_models.EC2ContainerServiceBackend.create_service = backend_create_service
ecs_models.EC2ContainerServiceBackend.create_task_set = checked_create_task_set


# Fix 15: an awsvpcConfiguration may leave out securityGroups (ECS then uses
# the VPC's default group); moto 5.2.1 reads the key unchecked and fails
# CreateService with a KeyError (a 500, which the SDK retries). Validated
# here as an empty list of groups, and stored as one.
_validate_network = ecs_models.Service._validate_network


def validate_network(self, nc):
    config = (nc or {}).get("awsvpcConfiguration")
    if config is not None and "securityGroups" not in config:
        nc = {**nc, "awsvpcConfiguration": {**config, "securityGroups": []}}
    return _validate_network(self, nc)


ecs_models.Service._validate_network = validate_network
