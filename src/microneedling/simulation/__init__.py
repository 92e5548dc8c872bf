"""The science: device geometry, microchannel resealing and uptake, healing and collagen response.

Pure: plain inputs in (session days, device settings, a zone's skin layers), numbers out. Knows
nothing of plans or patients; the translation from a plan lives in ``services``.
"""
