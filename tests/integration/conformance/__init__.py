"""Corpus of AIM v1alpha2 specs for tests/integration/test_validation_conformance.py."""
