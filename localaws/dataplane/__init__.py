"""The local data plane (issue 12), built from what was deployed, read back from the emulator.

Work in progress: readback, certs, database, tasks, balancer, one-off runner, managed
policy table and the local overrides exist; the edge, the supervisor and the ``ops.local``
wiring do not yet (see docs/local.md when it lands).
"""
