"""Municipal early-warning signal adapter (vroegsignalering): pending records and batch exports."""

from .files import ExportReport, FileSignals, SignalRefused, list_signals

__all__ = ["ExportReport", "FileSignals", "SignalRefused", "list_signals"]
