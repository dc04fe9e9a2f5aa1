"""The console front door: renders Results with rich, asks for confirmation, runs the REPL."""

from klepaas.console.approver import ConsoleApprover
from klepaas.console.render import render_outcome, render_result
from klepaas.console.session import ConsoleSession

__all__ = ["ConsoleApprover", "ConsoleSession", "render_outcome", "render_result"]
