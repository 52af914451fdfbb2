"""Reporting: the solved plan, its outputs on disk and plain-language explanations."""
