"""The scenario: its format (pydantic), YAML with positions, loading, cross-references,
description."""
