"""Ops that fit no other family."""

from __future__ import annotations
