"""The service layer: what the CLI, the web application and the workers call.

Plain functions over a `Services` context; every function checks who asks (`Viewer`) and raises
`engine.errors.EngineError` subclasses with French messages.
"""

from .context import Services
from .deployments import DeployedVersion, deploy, deploy_path, latest_version, latest_versions
from .instances import InstanceDetails, StartedInstance, advance, get_instance, start
from .tasks import TaskFilter, claim, complete, list_tasks, release
from .viewer import Grant, Viewer

__all__ = [
    "DeployedVersion", "Grant", "InstanceDetails", "Services", "StartedInstance", "TaskFilter",
    "Viewer", "advance", "claim", "complete", "deploy", "deploy_path", "get_instance", "latest_version",
    "latest_versions", "list_tasks", "release", "start",
]  # fmt: skip
