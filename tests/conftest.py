"""Fixtures every test may use."""

from tests.git_support import machine_without_git_config

__all__ = ["machine_without_git_config"]
