"""Placeholder: filled by its author."""
