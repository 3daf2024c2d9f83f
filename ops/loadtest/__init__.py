"""Load-test kit: drive an environment's API (or any base URL) through low / average / high load.

One command::

    python -m ops.loadtest --env staging --report loadtest-staging.md
    python -m ops.loadtest --base-url http://127.0.0.1:8000 --duration 30 --report local.md
    make loadtest ENV=staging            # or URL=http://127.0.0.1:8000

Each profile (:mod:`ops.loadtest.profiles`) runs a number of simulated map users with locust
(library mode, :mod:`ops.loadtest.users`): they list the collections once, then pan the map
(``bbox`` queries of viewport size, mostly around features already seen) and click features
(``items/<id>``), with 0.5-2 s of think time. Per profile the kit measures throughput, latency
percentiles and failures, and the service's CPU over the same window (:mod:`ops.loadtest.metrics`):
CloudWatch ``CPUUtilization`` / ``MemoryUtilization`` of the ECS service for ``--env``, or the CPU
and RSS of the processes listening on the URL's port (psutil) for a local URL. The Markdown report
(:mod:`ops.loadtest.report`) recommends the task size and the scale-up / scale-down thresholds,
with the rule it used written next to each number.

Against an environment's site (``--env``, through CloudFront), the kit first checks the profiles
against the WAF's per-IP rate limit (:mod:`ops.loadtest.edge`): a run that would exceed it from an
address not in ``[loadtest] source_cidrs`` (``--source-ip``) is refused with what to change. The
report counts WAF blocks (403/429 made by CloudFront) apart from API errors.

Modules: ``profiles`` (what load), ``edge`` (the WAF rate-limit check), ``users`` + ``geometry`` (what requests), ``metrics`` (service CPU),
``runner`` (one profile through locust), ``report`` (figures and recommendation).
"""
