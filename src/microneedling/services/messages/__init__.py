"""Messages to patients: queueing them with the change that causes them (:mod:`.outbox`), when
they go (:mod:`.timing`), and, at the edge, the channels that carry them."""
