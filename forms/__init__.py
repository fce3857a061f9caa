"""The core: definitions, field kinds, formulas, submissions (no I/O)."""
import sys

# jsonschema checks the "iri" format with rfc3987-syntax when it is installed (the format-nongpl
# extra), and that package builds a Lark grammar on import: 0.8 s of every process start (each
# `biaoge` command, each server and worker process). No biaoge definition or published schema
# uses "iri", so the import is refused before jsonschema looks for it.
sys.modules.setdefault("rfc3987_syntax", None)
