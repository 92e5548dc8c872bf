"""Printable documents (patient handouts): HTML through Jinja2, PDF through fpdf2.

A presentation layer beside ``cli`` and ``web``: it reads the JSON form of clinical results and
never computes policy itself.
"""
