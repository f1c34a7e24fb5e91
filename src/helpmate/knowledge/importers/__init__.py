"""Open Referral importers (ORUK JSON, HSDS 1.x data packages) and the import pipeline."""

from helpmate.knowledge.importers.pipeline import FORMATS, ImportReport, import_feed

__all__ = ["FORMATS", "ImportReport", "import_feed"]
