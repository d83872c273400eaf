"""Regions: the province → city → county → town → village hierarchy with 12-digit codes."""
