"""A local stand-in for Slack (Web API, Socket Mode, a driver) for the demo, tests and benchmarks."""

from sandbox.driver import Ack, Driver
from sandbox.faults import FaultRule
from sandbox.server import CallRecord, Sandbox
from sandbox.workspace import Workspace

__all__ = ["Ack", "CallRecord", "Driver", "FaultRule", "Sandbox", "Workspace"]
