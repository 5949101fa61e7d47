"""The service layer: what the CLI, the web application and the workers call.

Plain functions over a `Services` context; every function checks who asks (`Viewer`) and raises
`engine.errors.EngineError` subclasses with French messages.
"""

from .catalogue.deployments import (
    DeployedVersion,
    current_version,
    current_versions,
    deploy,
    deploy_path,
)
from .context import Services
from .dossiers.instances import InstanceDetails, StartedInstance, advance, get_instance, start
from .root import create_services
from .tasks import (
    InboxFacets,
    TaskCounts,
    TaskFilter,
    TaskPage,
    assign,
    claim,
    complete,
    count_tasks,
    inbox_facets,
    list_tasks,
    release,
    task_form,
)
from .viewer import Grant, Viewer

__all__ = [
    "DeployedVersion",
    "Grant",
    "InboxFacets",
    "InstanceDetails",
    "Services",
    "StartedInstance",
    "TaskCounts",
    "TaskFilter",
    "TaskPage",
    "Viewer",
    "advance",
    "assign",
    "claim",
    "complete",
    "count_tasks",
    "create_services",
    "current_version",
    "current_versions",
    "deploy",
    "deploy_path",
    "get_instance",
    "inbox_facets",
    "list_tasks",
    "release",
    "start",
    "task_form",
]  # fmt: skip
