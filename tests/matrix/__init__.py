"""Rows of the authorization matrix, one module per context (see tests/test_authorization_matrix.py).

A module defines API_CASES and PAGE_CASES (lists of `Case`, imported from the matrix module's
helpers) and, when its routes need ids, `targets(world) -> dict` creating the records they name.
"""
