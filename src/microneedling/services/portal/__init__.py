"""The patient portal's use cases: each runs as the signed-in patient (:mod:`.actor`)."""
