"""CodeDeploy, as moto 5.2.1 gets it wrong, and the control plane the local runtime drives deployments through (fixes 4 and 6)."""
import json
import time

from .common import store_request_fields
from moto.codedeploy import exceptions as codedeploy_exceptions
from moto.codedeploy import models as codedeploy_models
from moto.codedeploy.responses import CodeDeployResponse
from moto.core import DEFAULT_ACCOUNT_ID


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
