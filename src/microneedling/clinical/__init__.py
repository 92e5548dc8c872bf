"""Pure clinical logic: intake types, screening, planning, care, product check, scales, pricing.

No I/O and no clock: dates come in as arguments.
"""
