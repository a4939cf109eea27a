"""Contains all the data models used in inputs/outputs"""

from .aggregate_request import AggregateRequest
from .aggregate_response import AggregateResponse
from .callback import Callback
from .callback_state import CallbackState
from .callback_view import CallbackView
from .dashboard import Dashboard
from .event_accepted import EventAccepted
from .event_in import EventIn
from .event_in_payload import EventInPayload
from .field_error import FieldError
from .health import Health
from .index import Index
from .item import Item
from .item_result import ItemResult
from .job_accepted import JobAccepted
from .job_list import JobList
from .job_request import JobRequest
from .job_result import JobResult
from .job_status import JobStatus
from .job_view import JobView
from .jobs_get_status import JobsGetStatus
from .message import Message
from .missing_part import MissingPart
from .problem import Problem
from .progress import Progress
from .route_info import RouteInfo
from .todo import Todo
from .upstream_info import UpstreamInfo
from .upstream_list import UpstreamList
from .user import User

__all__ = (
    "AggregateRequest",
    "AggregateResponse",
    "Callback",
    "CallbackState",
    "CallbackView",
    "Dashboard",
    "EventAccepted",
    "EventIn",
    "EventInPayload",
    "FieldError",
    "Health",
    "Index",
    "Item",
    "ItemResult",
    "JobAccepted",
    "JobList",
    "JobRequest",
    "JobResult",
    "JobsGetStatus",
    "JobStatus",
    "JobView",
    "Message",
    "MissingPart",
    "Problem",
    "Progress",
    "RouteInfo",
    "Todo",
    "UpstreamInfo",
    "UpstreamList",
    "User",
)
